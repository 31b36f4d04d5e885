"""Telegram's TL objects as the Android client stores them in ``cache4.db``: a small, table-driven reader.

The client keeps every message, user and chat as the binary TL object of the API layer it was
received in (``messages_v2.data``, ``users.data``): a 4-byte little-endian constructor id, then the
fields in the order of that layer's schema, optional ones present only when their bit in a
``flags`` word is set. TL carries no field lengths, so a reader must know each constructor's exact
field list, and the lists change from layer to layer (layer 179 put a second flags word before the
message id; layer 133 made user ids 64-bit). The tables in ``telegram_layouts.py`` give, per
constructor id, its fields in schema syntax (``from_id:flags.8?Peer``), transcribed from the
client's ``TLRPC.java`` / ``TL_legacy_message.java`` and the published schemas.

A layout may list only the start of an object (a message up to its media, a user up to the phone),
because nothing after that is needed; such a layout is *partial*. An object the tables name but do
not describe (a photo, a document) is *opaque*: its kind is known, its content is not read. Reading
stops at either, and whatever comes after it in the enclosing object cannot be reached: if a field
is still needed there, the whole object is reported as not decoded, naming the field that stopped
it. Nothing is guessed: an unknown constructor is reported with its id and offset, never skipped by
searching for something that looks like text.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field

from evidence_intake.artefacts.text import LossyText

VECTOR = 0x1CB5C415
BOOL_TRUE, BOOL_FALSE = 0x997275B5, 0xBC799737
MAX_VECTOR = 100_000
PRIMITIVES = frozenset({"#", "int", "long", "double", "string", "bytes", "true", "Bool"})
_U32, _I32, _I64, _F64 = struct.Struct("<I"), struct.Struct("<i"), struct.Struct("<q"), struct.Struct("<d")


class TLError(ValueError):
    """A blob that does not follow its layout: too short, a bad length, a wrong type of object."""


class NotDecoded(TLError):
    """The blob is in a form the tables do not describe; ``values`` holds what was read before."""

    def __init__(self, message: str, values: Mapping[str, object] | None = None) -> None:
        super().__init__(message)
        self.values: dict[str, object] = dict(values or {})


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: str  # a primitive above, a boxed type name ("Peer"), or "Vector<long>" / "Vector<Peer>"
    flags: str | None = None  # the flags word the field depends on ("flags", "flags2")
    bit: int = 0


@dataclass(frozen=True, slots=True)
class Layout:
    """One constructor: its name, the type it belongs to and the fields that are read."""

    constructor: int
    name: str
    type: str
    label: str  # for people: the API layer of a message, the kind of a media, the words for an action
    fields: tuple[Field, ...] | None  # None: opaque, the content is not read
    partial: bool = False  # the fields listed are only the start of the object


_FIELD = re.compile(r"^(\w+):(?:(\w+)\.(\d+)\?)?([\w#<>]+)$")


def layout(spec: str, type_: str, label: str, fields: str | None, *, partial: bool = False) -> Layout:
    """A ``Layout`` from ``"message#76bec211"`` and fields in schema syntax ("id:int peer_id:Peer")."""
    name, _, hex_id = spec.partition("#")
    parsed: list[Field] = []
    for item in (fields or "").split():
        m = _FIELD.match(item)
        if m is None:
            raise ValueError(f"{spec}: cannot read field {item!r}")
        fname, flags, bit, ftype = m.groups()
        parsed.append(Field(fname, ftype, flags, int(bit) if bit else 0))
    return Layout(int(hex_id, 16), name, type_, label, None if fields is None else tuple(parsed), partial)


def table(*layouts: Layout) -> dict[int, Layout]:
    out: dict[int, Layout] = {}
    for item in layouts:
        if item.constructor in out:
            raise ValueError(f"constructor 0x{item.constructor:08x} is listed twice")
        out[item.constructor] = item
    return out


@dataclass(slots=True)
class TLObject:
    """A decoded object. ``complete`` is False when reading stopped inside it (see the module doc)."""

    constructor: int
    name: str
    type: str
    label: str
    values: dict[str, object] = field(default_factory=dict)
    complete: bool = True
    known: bool = True
    note: str | None = None  # why it is not complete, when that is worth telling

    def get(self, name: str, default: object = None) -> object:
        return self.values.get(name, default)


class Reader:
    """Little-endian TL primitives over a byte string; every read checks the bytes are there."""

    __slots__ = ("data", "notes", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.notes: list[str] = []  # what inside the blob could not be read, outermost cause only

    def _short(self, n: int, what: str) -> TLError:
        return TLError(f"{what} at offset {self.pos} runs past the end of the {len(self.data)}-byte blob")

    def _take(self, n: int, what: str) -> bytes:
        end = self.pos + n
        if n < 0 or end > len(self.data):
            raise self._short(n, what)
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def _unpack(self, fmt: struct.Struct, what: str) -> int | float:
        pos = self.pos
        if pos + fmt.size > len(self.data):
            raise self._short(fmt.size, what)
        self.pos = pos + fmt.size
        value: int | float = fmt.unpack_from(self.data, pos)[0]
        return value

    def uint32(self) -> int:
        return int(self._unpack(_U32, "a 4-byte integer"))

    def int32(self) -> int:
        return int(self._unpack(_I32, "a 4-byte integer"))

    def int64(self) -> int:
        return int(self._unpack(_I64, "an 8-byte integer"))

    def double(self) -> float:
        return float(self._unpack(_F64, "a double"))

    def raw_bytes(self) -> bytes:
        """TL ``bytes``/``string``: a 1-byte length (or 254 and 3 bytes), the data, zero padding to 4."""
        start = self.pos
        first = self._take(1, "a string length")[0]
        if first == 255:
            raise TLError(f"a string at offset {start} has the invalid length marker 255")
        if first == 254:
            length = int.from_bytes(self._take(3, "a long string length"), "little")
            head = 4
        else:
            length, head = first, 1
        data = self._take(length, f"a string of {length} bytes")
        self._take(-(head + length) % 4, "string padding")
        return data

    def string(self) -> str:
        return LossyText.decode(self.raw_bytes())


class Tables:
    """The layouts by constructor id, read by ``read``."""

    def __init__(self, layouts: Mapping[int, Layout]) -> None:
        self.layouts = dict(layouts)

    def read(self, reader: Reader, expected: str) -> TLObject:
        """The next boxed object, which must be of type ``expected``.

        A constructor that is not in the tables raises ``NotDecoded`` here; inside an object
        (``_field``) it becomes an incomplete placeholder, so that what was read before it is kept.
        """
        at = reader.pos
        constructor = reader.uint32()
        found = self.layouts.get(constructor)
        if found is None:
            raise NotDecoded(f"{expected} constructor 0x{constructor:08x} at offset {at} is not known")
        if found.type != expected:
            raise TLError(
                f"at offset {at}: 0x{constructor:08x} is a {found.type} ({found.name}), not a {expected}"
            )
        obj = TLObject(constructor, found.name, found.type, found.label)
        if found.fields is None:
            obj.complete = False
            return obj
        flags: dict[str, int] = {}
        stuck: TLObject | None = None
        for f in found.fields:
            if f.flags is not None and not (flags.get(f.flags, 0) >> f.bit) & 1:
                if f.type == "true":
                    obj.values[f.name] = False
                continue
            if f.type == "true":
                obj.values[f.name] = True
                continue
            if stuck is not None:
                obj.complete = False
                obj.note = stuck.note
                raise NotDecoded(
                    f"{found.name}.{f.name} cannot be read: {_stuck_reason(stuck)}",
                    obj.values,
                )
            if f.type == "#":
                flags[f.name] = reader.uint32()
                obj.values[f.name] = flags[f.name]
                continue
            value = self._field(reader, f)
            obj.values[f.name] = value
            stuck = _first_incomplete(value)
        obj.complete = stuck is None and not found.partial
        return obj

    def _field(self, reader: Reader, f: Field) -> object:
        kind = f.type
        if kind == "int":
            return reader.int32()
        if kind == "long":
            return reader.int64()
        if kind == "double":
            return reader.double()
        if kind == "string":
            return reader.string()
        if kind == "bytes":
            return reader.raw_bytes()
        if kind == "Bool":
            value = reader.uint32()
            if value not in (BOOL_TRUE, BOOL_FALSE):
                raise TLError(f"0x{value:08x} at offset {reader.pos - 4} is not a Bool")
            return value == BOOL_TRUE
        if kind.startswith("Vector<"):
            return self._vector(reader, kind[7:-1], f.name)
        return self._boxed(reader, kind, f.name)

    def _boxed(self, reader: Reader, kind: str, name: str) -> TLObject:
        at = reader.pos
        mark = len(reader.notes)
        try:
            return self.read(reader, kind)
        except NotDecoded as exc:
            reader.pos = len(reader.data)  # nothing after it can be located
            del reader.notes[mark:]  # the note below names what inside stopped it
            constructor = int.from_bytes(reader.data[at : at + 4], "little")
            found = self.layouts.get(constructor)
            if found is None:
                obj = TLObject(constructor, f"0x{constructor:08x}", kind, "", complete=False, known=False)
                obj.note = f"{name}: {exc}"
            else:
                obj = TLObject(constructor, found.name, found.type, found.label, exc.values, complete=False)
                obj.note = f"{name} ({found.name}): {exc}"
            reader.notes.append(obj.note)
            return obj

    def _vector(self, reader: Reader, inner: str, name: str) -> list[object]:
        at = reader.pos
        if reader.uint32() != VECTOR:
            raise TLError(f"{name}: no vector at offset {at}")
        count = reader.int32()
        if not 0 <= count <= MAX_VECTOR:
            raise TLError(f"{name}: a vector of {count} items at offset {at} is not plausible")
        items: list[object] = []
        for _ in range(count):
            item = self._field(reader, Field(name, inner))
            items.append(item)
            if _first_incomplete(item) is not None:
                break  # the rest of the vector cannot be located
        return items


def _first_incomplete(value: object) -> TLObject | None:
    if type(value) is TLObject:
        return None if value.complete else value
    if type(value) is list:
        for item in value:
            if type(item) is TLObject and not item.complete:
                return item
    return None


def _stuck_reason(obj: TLObject) -> str:
    """Why reading stopped at ``obj``: the innermost object that is not decoded, and where it sits."""
    if not obj.known:
        return obj.note or f"{obj.type} constructor {obj.name} is not known"
    if obj.note:
        return obj.note
    for name, value in obj.values.items():
        inner = _first_incomplete(value)
        if inner is not None:
            return f"{obj.name}.{name}: {_stuck_reason(inner)}"
    what = obj.label or obj.type
    return f"the content of {obj.name} ({what}) is not decoded, so what follows it cannot be located"


def peer_of(value: object) -> tuple[str, int] | None:
    """("user" | "chat" | "channel", id) of a Peer object, or of a bare user id of an old layer."""
    if isinstance(value, int) and not isinstance(value, bool):
        return ("user", value)
    if isinstance(value, TLObject) and value.type == "Peer" and value.complete:
        for key, kind in (("user_id", "user"), ("chat_id", "chat"), ("channel_id", "channel")):
            found = value.values.get(key)
            if isinstance(found, int):
                return (kind, found)
    return None
