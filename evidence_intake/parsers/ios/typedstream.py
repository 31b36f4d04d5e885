"""The text of an ``NSAttributedString`` archived with ``NSArchiver``: Messages' ``attributedBody``.

iOS 16 and later (and macOS Ventura) often leave ``message.text`` NULL and keep the text only in
``attributedBody``, an attributed string written by the old NeXT/Apple "typedstream" archiver (not the
keyed, plist-based ``NSKeyedArchiver``). This module reads exactly as much of that format as is needed
to get the string, and checks every step on the way, so that a blob of another shape is reported as
such instead of yielding a wrong text.

The format, as written by ``NSArchiver`` (``typedstream.h`` of NeXTSTEP/GNUstep and the public
descriptions of the iMessage format):

* header: the streamer version (4), the signature as a counted string (``streamtyped`` for
  little-endian data; ``typedstream`` is big-endian and not used by Messages), the system version
  (1000) as an integer;
* integers: one signed byte, or the tag ``0x81`` followed by an int16, or ``0x82`` and an int32
  (little-endian); the byte values ``0x80``..``0x91`` are tags, not numbers;
* every value is preceded by its Objective-C type encoding (``@`` object, ``+`` counted bytes,
  ``i``, ``I``…), written as a *shared string*: ``0x84`` (new) + length + bytes the first time,
  afterwards a reference number (``0x92`` is the first string, ``0x93`` the second…);
* an object is ``0x84`` (new), its class, its contents, ``0x86`` (end); ``0x85`` is nil and a reference
  number names an object or class seen before (objects and classes share one numbering, in the order
  they appear, the object before its class); a class is ``0x84``, its name as a shared string, its
  version, then its superclass the same way, ending with ``0x85`` (nil);
* ``NSString`` writes its characters as one ``+`` value: a counted run of UTF-8 bytes.

An attributed string's first value is its string (an ``NSString`` or ``NSMutableString`` object);
what follows (the attribute runs and their dictionaries: message parts, mentions, links, text
effects, edit history) is not read.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from evidence_intake.artefacts.text import LossyText

TAG_INTEGER_2 = -127  # 0x81
TAG_INTEGER_4 = -126  # 0x82
TAG_FLOAT = -125  # 0x83
TAG_NEW = -124  # 0x84
TAG_NIL = -123  # 0x85
TAG_END = -122  # 0x86
FIRST_TAG = -128  # 0x80
LAST_TAG = -111  # 0x91
FIRST_REFERENCE = -110  # 0x92

SIGNATURE_LITTLE = b"streamtyped"
SIGNATURE_BIG = b"typedstream"
STRING_CLASSES = {b"NSString", b"NSMutableString"}
ATTRIBUTED_CLASSES = {b"NSAttributedString", b"NSMutableAttributedString"}


class TypedStreamError(ValueError):
    """The blob is not an archived attributed string of the shape this reader knows."""


@dataclass(slots=True)
class _Class:
    name: bytes
    version: int
    superclass: _Class | None

    def chain(self) -> list[bytes]:
        names: list[bytes] = []
        cls: _Class | None = self
        while cls is not None and len(names) < 64:
            names.append(cls.name)
            cls = cls.superclass
        return names


@dataclass(slots=True)
class _Object:
    cls: _Class | None = None


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.strings: list[bytes] = []
        self.objects: list[_Class | _Object] = []

    def fail(self, what: str) -> TypedStreamError:
        return TypedStreamError(f"{what} at byte {self.pos} of {len(self.data)}")

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise self.fail(f"{n} bytes needed but the blob ends")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def head(self) -> int:
        return struct.unpack("<b", self.take(1))[0]

    def integer(self, head: int | None = None) -> int:
        value = self.head() if head is None else head
        if value == TAG_INTEGER_2:
            return int(struct.unpack("<h", self.take(2))[0])
        if value == TAG_INTEGER_4:
            return int(struct.unpack("<i", self.take(4))[0])
        if FIRST_TAG <= value <= LAST_TAG:
            raise self.fail(f"an integer was expected, found the tag 0x{value & 0xFF:02x}")
        return value

    def reference(self, head: int, table: list[object] | list[bytes] | list[_Class | _Object]) -> int:
        index = self.integer(head) - FIRST_REFERENCE
        if not 0 <= index < len(table):
            raise self.fail(f"reference {index} to an entry not seen before")
        return index

    def shared_string(self) -> bytes | None:
        head = self.head()
        if head == TAG_NIL:
            return None
        if head == TAG_NEW:
            length = self.integer()
            text = self.take(length)
            self.strings.append(text)
            return text
        return self.strings[self.reference(head, self.strings)]

    def header(self) -> None:
        version = self.head()
        if version not in (3, 4):
            raise self.fail(f"not a typedstream (streamer version {version})")
        signature = self.take(self.integer())
        if signature == SIGNATURE_BIG:
            raise self.fail("a big-endian typedstream, which Messages does not write")
        if signature != SIGNATURE_LITTLE:
            raise self.fail(f"not a typedstream (signature {signature[:16]!r})")
        self.integer()  # the system version (1000 on Apple systems)

    def type_encoding(self) -> bytes:
        encoding = self.shared_string()
        if not encoding:
            raise self.fail("a type encoding was expected")
        return encoding

    def class_(self) -> _Class | None:
        head = self.head()
        if head == TAG_NIL:
            return None
        if head == TAG_NEW:
            name = self.shared_string()
            if not name:
                raise self.fail("a class without a name")
            cls = _Class(name=name, version=self.integer(), superclass=None)
            self.objects.append(cls)
            cls.superclass = self.class_()
            return cls
        found = self.objects[self.reference(head, self.objects)]
        if not isinstance(found, _Class):
            raise self.fail("a reference to an object where a class was expected")
        return found

    def new_object(self) -> _Object:
        """An object's head and class; its contents are left for the caller to read."""
        head = self.head()
        if head != TAG_NEW:
            raise self.fail(f"a new object was expected, found 0x{head & 0xFF:02x}")
        obj = _Object()
        self.objects.append(obj)
        obj.cls = self.class_()
        if obj.cls is None:
            raise self.fail("an object without a class")
        return obj


def attributed_string_text(blob: bytes) -> str:
    """The plain text of an archived ``NSAttributedString`` (``message.attributedBody``).

    Text that is not valid UTF-8 comes back as ``LossyText`` (decoded with U+FFFD, raw bytes kept).
    Raises ``TypedStreamError`` naming the byte where the blob stops matching the format.
    """
    reader = _Reader(bytes(blob))
    reader.header()
    if reader.type_encoding() != b"@":
        raise reader.fail("the archive does not start with an object")
    outer = reader.new_object()
    assert outer.cls is not None
    if not ATTRIBUTED_CLASSES & set(outer.cls.chain()):
        raise reader.fail(
            f"the archived object is a {outer.cls.name.decode('latin-1')}, not an attributed string"
        )
    if reader.type_encoding() != b"@":
        raise reader.fail("the attributed string does not start with its string")
    inner = reader.new_object()
    assert inner.cls is not None
    if not STRING_CLASSES & set(inner.cls.chain()):
        raise reader.fail(f"the attributed string holds a {inner.cls.name.decode('latin-1')}, not a string")
    if reader.type_encoding() != b"+":
        raise reader.fail("the string's characters are not a counted byte run")
    length = reader.integer()
    return LossyText.decode(reader.take(length))
