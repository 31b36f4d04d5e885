"""What the decoded Telegram objects say: a message's sender, chat, text, forward, reply, media and
action; a user's names and phone. Built on ``telegram_tl`` (the reader) and ``telegram_layouts``
(the constructor tables); knows the meaning of field names, not the bytes.

A blob that cannot be decoded still gives a result: ``problem`` says why, and the values read before
the point where decoding stopped (the sender, say) are kept, text and media are not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from evidence_intake.artefacts.text import as_text, concat, join_text
from evidence_intake.parsers.android.telegram_layouts import TABLES
from evidence_intake.parsers.android.telegram_tl import NotDecoded, Reader, TLError, TLObject, peer_of

Peer = tuple[str, int]  # ("user" | "chat" | "channel", id)


@dataclass(slots=True)
class Forward:
    origin: Peer | None = None  # who wrote it first, when the forward shows it
    origin_name: str | None = None  # the name shown instead, when the author hides their account
    date: int | None = None  # when the original was sent (Unix s)


@dataclass(slots=True)
class DecodedMessage:
    constructor: int | None
    name: str  # "message", "messageService", "messageEmpty", or "0x…" when not known
    label: str  # the API layer, for people
    kind: str  # "message", "service", "empty" or "unknown"
    problem: str | None = None  # why the blob is not (fully) decoded
    id: int | None = None
    date: int | None = None
    sender: Peer | None = None
    peer: Peer | None = None
    forward: Forward | None = None
    reply_to: int | None = None  # the id of the message replied to
    reply_to_story: int | None = None
    text: str | None = None
    media: TLObject | None = None
    action: TLObject | None = None
    notes: list[str] = field(default_factory=list)  # parts inside that are not decoded


@dataclass(slots=True)
class DecodedUser:
    constructor: int | None
    name: str
    problem: str | None = None
    id: int | None = None
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    phone: str | None = None
    is_self: bool = False
    contact: bool = False
    mutual_contact: bool = False
    deleted: bool = False
    bot: bool = False

    @property
    def display_name(self) -> str | None:
        return join_text(" ", [p for p in (self.first_name, self.last_name) if p]) or None


def _head(blob: bytes) -> tuple[int | None, str, str]:
    if len(blob) < 4:
        return None, "?", ""
    constructor = int.from_bytes(blob[:4], "little")
    found = TABLES.layouts.get(constructor)
    if found is None:
        return constructor, f"0x{constructor:08x}", ""
    return constructor, found.name, found.label


def decode_message(blob: bytes) -> DecodedMessage:
    """The message in ``messages_v2.data``; never raises for what the blob holds."""
    constructor, name, label = _head(blob)
    if constructor is None:
        return DecodedMessage(None, name, label, "unknown", "the blob is shorter than a constructor id")
    reader = Reader(blob)
    try:
        obj = TABLES.read(reader, "Message")
    except NotDecoded as exc:
        known = constructor in TABLES.layouts
        result = _message(exc.values, constructor, name, label, _kind(name) if known else "unknown")
        if known:
            result.problem = str(exc)
        else:
            result.problem = f"TL constructor 0x{constructor:08x} not decoded (no message layout for it)"
        result.text = None
        result.media = None
        return result
    except TLError as exc:
        result = DecodedMessage(constructor, name, label, _kind(name))
        result.problem = f"the blob does not follow the {name} layout ({label}): {exc}"
        return result
    result = _message(obj.values, constructor, name, label, _kind(name))
    result.notes = reader.notes
    return result


def _kind(name: str) -> str:
    if name == "messageService":
        return "service"
    if name == "messageEmpty":
        return "empty"
    return "message"


def _message(
    values: dict[str, object], constructor: int | None, name: str, label: str, kind: str
) -> DecodedMessage:
    out = DecodedMessage(constructor, name, label, kind)
    out.id = _int(values.get("id"))
    out.date = _int(values.get("date"))
    out.sender = peer_of(values.get("from_id"))
    out.peer = peer_of(values.get("peer_id"))
    text = values.get("message")
    out.text = text if isinstance(text, str) else None
    media = values.get("media")
    out.media = media if isinstance(media, TLObject) and media.name != "messageMediaEmpty" else None
    action = values.get("action")
    out.action = action if isinstance(action, TLObject) else None
    fwd = values.get("fwd_from")
    if isinstance(fwd, TLObject):
        out.forward = _forward(fwd)
    elif "fwd_from_id" in values:  # old layers: the original author and date inline
        out.forward = Forward(peer_of(values.get("fwd_from_id")), None, _int(values.get("fwd_date")))
    reply = values.get("reply_to")
    if isinstance(reply, TLObject):
        out.reply_to = _int(reply.get("reply_to_msg_id"))
        out.reply_to_story = _int(reply.get("story_id"))
    else:
        out.reply_to = _int(values.get("reply_to_msg_id"))
    return out


def _forward(obj: TLObject) -> Forward:
    origin = peer_of(obj.get("from_id"))
    channel = _int(obj.get("channel_id"))
    if channel:  # layers before 119 kept a forwarded channel post's channel apart from the user
        origin = ("channel", channel)
    name = obj.get("from_name")
    return Forward(origin, name if isinstance(name, str) and name else None, _int(obj.get("date")))


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def decode_user(blob: bytes) -> DecodedUser:
    """The user in ``users.data``; never raises for what the blob holds."""
    constructor, name, _label = _head(blob)
    reader = Reader(blob)
    values: dict[str, object]
    problem: str | None = None
    try:
        values = TABLES.read(reader, "User").values
    except NotDecoded as exc:
        values = exc.values
        problem = (
            str(exc)
            if constructor in TABLES.layouts
            else f"TL constructor {name} not decoded (a user layout this version does not know)"
        )
    except TLError as exc:
        values = {}
        problem = f"the blob does not follow the {name} layout: {exc}"
    user = DecodedUser(constructor, name, problem)
    user.id = _int(values.get("id"))
    for attr in ("first_name", "last_name", "username", "phone"):
        value = values.get(attr)
        setattr(user, attr, value if isinstance(value, str) and value else None)
    user.is_self = values.get("self") is True
    user.contact = values.get("contact") is True
    user.mutual_contact = values.get("mutual_contact") is True
    user.deleted = values.get("deleted") is True
    user.bot = values.get("bot") is True
    return user


# --- words for people ----------------------------------------------------------------------------


def describe_media(media: TLObject) -> str:
    """The attachment's description: its kind, and for a location, venue or contact what it holds."""
    if not media.known:
        return f"media (TL constructor {media.name} not known)"
    kind = media.label
    geo = media.get("geo")
    where = _position(geo) if isinstance(geo, TLObject) else None
    if media.name == "messageMediaContact":
        person = join_text(" ", [as_text(media.get(k)) for k in ("first_name", "last_name") if media.get(k)])
        number = media.get("phone_number")
        details = join_text(", ", [p for p in (person, as_text(number) if number else "") if p])
        return concat("contact: ", details) if details else kind
    if media.name == "messageMediaVenue":
        parts = [as_text(media.get(k)) for k in ("title", "address") if media.get(k)]
        parts += [where] if where else []
        return concat("venue: ", join_text(", ", parts)) if parts else kind
    if where:
        return f"{kind}: {where}"
    return kind


def _position(geo: TLObject) -> str | None:
    lat, lon = geo.get("lat"), geo.get("long")
    if isinstance(lat, float) and isinstance(lon, float):
        return f"{lat:.6f}, {lon:.6f}"
    return None


def describe_action(action: TLObject, name_of: Callable[[Peer], str]) -> str:
    """A service message in words: what happened, with titles and people when the action holds them."""
    if not action.known:
        return f"service message (action TL constructor {action.name} not known)"
    words = action.label
    title = action.get("title")
    users = action.get("users")
    details: list[str] = []
    if isinstance(title, str) and title:
        details.append(concat('"', title, '"'))
    if isinstance(users, list) and users:
        details.append(
            concat("with ", join_text(", ", [name_of(("user", u)) for u in users if isinstance(u, int)]))
        )
    for key, kind in (
        ("user_id", "user"),
        ("inviter_id", "user"),
        ("chat_id", "chat"),
        ("channel_id", "channel"),
    ):
        ident = _int(action.get(key))
        if ident is not None:
            details.append(concat(key.removesuffix("_id"), " ", name_of((kind, ident))))
    text = action.get("message")
    if isinstance(text, str) and text:
        details.append(text)
    if action.name == "messageActionPhoneCall":
        details.append(describe_call(action))
    if action.name == "messageActionGameScore":
        details.append(f"score {action.get('score')}")
    if action.name == "messageActionGeoProximityReached":
        details.append(f"{action.get('distance')} m")
    if not action.complete and action.note:
        details.append("details not decoded")
    return concat(words, ": ", join_text("; ", details)) if details else words


def describe_call(action: TLObject) -> str:
    kind = "video call" if action.get("video") is True else "voice call"
    parts = [kind]
    duration = _int(action.get("duration"))
    if duration:
        parts.append(f"{duration} s")
    reason = action.get("reason")
    if isinstance(reason, TLObject):
        parts.append(reason.label if reason.known else f"reason {reason.name}")
    return ", ".join(parts)
