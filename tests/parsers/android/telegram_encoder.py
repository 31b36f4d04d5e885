"""A test-side TL encoder: Telegram objects serialised the way the Android client writes them.

Written from the client's ``serializeToStream`` methods (``TL_legacy_message.TL_message_layerNNN``,
``TLRPC.TL_messageService*``, ``TL_messageFwdHeader*``, ``TL_messageReplyHeader*``, ``TL_user*``) and
the published schemas, independently of the parser's tables (evidence_intake/parsers/android/
telegram_layouts.py), so that a slip in those tables makes a test fail instead of agreeing with itself.
Every stored message ends with the client's attach path (the TL string " " when there is none).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

VECTOR = 0x1CB5C415


def i32(value: int) -> bytes:
    return struct.pack("<i", value)


def u32(value: int) -> bytes:
    return struct.pack("<I", value)


def i64(value: int) -> bytes:
    return struct.pack("<q", value)


def tl_bytes(data: bytes) -> bytes:
    head = bytes([len(data)]) if len(data) < 254 else b"\xfe" + len(data).to_bytes(3, "little")
    body = head + data
    return body + b"\x00" * (-len(body) % 4)


def tl_string(text: str | bytes) -> bytes:
    """A TL string; bytes are written as they are (text that is not valid UTF-8)."""
    return tl_bytes(text.encode("utf-8") if isinstance(text, str) else text)


def flag(*pairs: tuple[int, bool]) -> int:
    return sum(1 << bit for bit, on in pairs if on)


# --- peers ----------------------------------------------------------------------------------------


def peer(kind: str, ident: int, *, legacy: bool = False) -> bytes:
    if legacy:  # layer 132 and before: 32-bit ids under their own constructors
        constructor = {"user": 0x9DB1BC6D, "chat": 0xBAD0E5BB, "channel": 0xBDDDE532}[kind]
        return u32(constructor) + i32(ident)
    constructor = {"user": 0x59511722, "chat": 0x36C6019A, "channel": 0xA2A5371E}[kind]
    return u32(constructor) + i64(ident)


# --- forward and reply headers ----------------------------------------------------------------------


def forward(
    constructor: int,
    *,
    date: int,
    from_peer: bytes | None = None,
    from_user: int | None = None,
    from_name: str | bytes | None = None,
    channel: int | None = None,
    channel_post: int | None = None,
    saved_from: tuple[bytes, int] | None = None,
) -> bytes:
    """messageFwdHeader of one of the client's layouts (see the constructors handled below)."""
    if constructor in (0x4E4DF4BB, 0x5F777DCE):  # from_id is a Peer
        flags = flag((0, from_peer is not None), (5, from_name is not None), (2, channel_post is not None))
        flags |= flag((4, saved_from is not None))
        out = u32(constructor) + u32(flags)
        out += from_peer or b""
        out += tl_string(from_name) if from_name is not None else b""
        out += i32(date)
        out += i32(channel_post) if channel_post is not None else b""
        out += saved_from[0] + i32(saved_from[1]) if saved_from else b""
        return out
    # 0x353A686B, 0xEC338270 (from_name), 0x559EBE6D, 0xFADFF4AC, 0xC786DDCB: a 32-bit user id
    named = constructor in (0x353A686B, 0xEC338270)
    flags = flag((0, from_user is not None), (1, channel is not None), (2, channel_post is not None))
    flags |= flag((5, named and from_name is not None))
    out = u32(constructor) + u32(flags)
    out += i32(from_user) if from_user is not None else b""
    out += tl_string(from_name) if named and from_name is not None else b""
    out += i32(date)
    out += i32(channel) if channel is not None else b""
    out += i32(channel_post) if channel_post is not None else b""
    return out


def reply(
    constructor: int,
    *,
    msg_id: int | None = None,
    to_peer: bytes | None = None,
    reply_media: bytes | None = None,
    top_id: int | None = None,
    quote_text: str | None = None,
    quote_entities: list[bytes] | None = None,
    quote_offset: int | None = None,
    todo_item: int | None = None,
    poll_option: bytes | None = None,
) -> bytes:
    if constructor == 0xA6D57763:  # layer 165: the message id is not optional
        assert msg_id is not None
        flags = flag((0, to_peer is not None), (1, top_id is not None))
        out = u32(constructor) + u32(flags) + i32(msg_id)
        return out + (to_peer or b"") + (i32(top_id) if top_id is not None else b"")
    flags = flag((4, msg_id is not None), (0, to_peer is not None), (8, reply_media is not None))
    flags |= flag((1, top_id is not None), (6, quote_text is not None), (9, quote_text is not None))
    flags |= flag((7, quote_entities is not None))
    flags |= flag((10, quote_offset is not None), (11, todo_item is not None), (12, poll_option is not None))
    out = u32(constructor) + u32(flags)
    out += i32(msg_id) if msg_id is not None else b""
    out += to_peer or b""
    out += reply_media or b""
    out += i32(top_id) if top_id is not None else b""
    out += tl_string(quote_text) if quote_text is not None else b""
    if quote_entities is not None:
        out += u32(VECTOR) + i32(len(quote_entities)) + b"".join(quote_entities)
    if constructor in (0x1B97DD66, 0x6917560B, 0xAFBC09DB):
        out += i32(quote_offset) if quote_offset is not None else b""
    if constructor in (0x1B97DD66, 0x6917560B):
        out += i32(todo_item) if todo_item is not None else b""
    if constructor == 0x1B97DD66:
        out += tl_bytes(poll_option) if poll_option is not None else b""
    return out


def entity_bold(offset: int, length: int) -> bytes:
    return u32(0xBD610BC9) + i32(offset) + i32(length)


def entity_text_url(offset: int, length: int, url: str) -> bytes:
    return u32(0x76A6D327) + i32(offset) + i32(length) + tl_string(url)


def reply_story(peer_bytes: bytes, story: int) -> bytes:
    return u32(0x0E5AF939) + peer_bytes + i32(story)


# --- media ----------------------------------------------------------------------------------------


def photo_media() -> bytes:
    """messageMediaPhoto#695150d7 with a photo the reader does not decode (random-looking content)."""
    return u32(0x695150D7) + u32(1) + u32(0xFB197A65) + i64(5_555_000_111) + b"\x11" * 40


def document_media() -> bytes:
    return u32(0x52D8CCD9) + u32(1) + u32(0x8FD4C4D8) + i64(77) + b"\x22" * 60


def geo_media(lat: float, lon: float) -> bytes:
    return u32(0x56E0D474) + u32(0xB2A2F663) + u32(0) + struct.pack("<dd", lon, lat) + i64(0)


def venue_media(lat: float, lon: float, title: str, address: str) -> bytes:
    geo = u32(0xB2A2F663) + u32(0) + struct.pack("<dd", lon, lat) + i64(0)
    return u32(0x2EC0533F) + geo + tl_string(title) + tl_string(address) + tl_string("") * 3


def contact_media(phone: str, first: str, last: str, user_id: int) -> bytes:
    return (
        u32(0x70322949) + tl_string(phone) + tl_string(first) + tl_string(last) + tl_string("") + i64(user_id)
    )


# --- messages -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageLayer:
    """What a TL_message layout writes before the text, as in the client's serializeToStream."""

    constructor: int
    flags2: bool = False
    boosts: bool = False
    rank: bool = False
    guest: bool = False
    saved_peer: bool = True
    via_long: bool = True
    peer_from: bool = True  # from_id is a Peer (else a bare 32-bit user id and reply a bare id)


MESSAGE_LAYERS = {
    227: MessageLayer(0x7600B9D3, flags2=True, boosts=True, rank=True, guest=True),
    226: MessageLayer(0x95EF6F2B, flags2=True, boosts=True, rank=True, guest=True),
    224: MessageLayer(0x3AE56482, flags2=True, boosts=True, rank=True),
    222: MessageLayer(0x9CB490E9, flags2=True, boosts=True),
    220: MessageLayer(0xB92F76CF, flags2=True, boosts=True),
    216: MessageLayer(0x9815CEC8, flags2=True, boosts=True),
    205: MessageLayer(0xEABCDD4D, flags2=True, boosts=True),
    199: MessageLayer(0x96FDBBE9, flags2=True, boosts=True),
    195: MessageLayer(0x94345242, flags2=True, boosts=True),
    180: MessageLayer(0xBDE09C2E, flags2=True, boosts=True),
    179: MessageLayer(0x2357BF25, flags2=True, boosts=True),
    176: MessageLayer(0xA66C7EFC, boosts=True),
    175: MessageLayer(0x1E4C8A69, boosts=True),
    173: MessageLayer(0x76BEC211),
    169: MessageLayer(0x38116EE0, saved_peer=False),
    135: MessageLayer(0x85D6CBE2, saved_peer=False),
    131: MessageLayer(0xBCE383D2, saved_peer=False, via_long=False),
    123: MessageLayer(0x58AE39C9, saved_peer=False, via_long=False),
    118: MessageLayer(0xF52E6B7F, saved_peer=False, via_long=False, peer_from=False),
    104: MessageLayer(0x44F9B43D, saved_peer=False, via_long=False, peer_from=False),
    72: MessageLayer(0x90DDDC11, saved_peer=False, via_long=False, peer_from=False),
}


def message(
    layer: int,
    *,
    mid: int,
    date: int,
    text: str | bytes,
    to: bytes,
    from_user: int | None = None,
    from_peer: bytes | None = None,
    out: bool = False,
    fwd: bytes | None = None,
    reply_to: bytes | int | None = None,
    media: bytes | None = None,
    via_bot: int | None = None,
    via_business_bot: int | None = None,
    saved_peer: bytes | None = None,
    boosts: int | None = None,
    rank: str | None = None,
    guest: bytes | None = None,
    attach_path: str = " ",
) -> bytes:
    """A TL_message of ``layer`` (a key of MESSAGE_LAYERS) as the client stores it."""
    spec = MESSAGE_LAYERS[layer]
    legacy = layer <= 132
    if from_user is not None and from_peer is None and spec.peer_from:
        from_peer = peer("user", from_user, legacy=legacy)
    has_from = from_peer is not None or (not spec.peer_from and from_user is not None)
    flags = flag((1, out), (8, has_from), (2, fwd is not None), (11, via_bot is not None))
    flags |= flag((3, reply_to is not None), (9, media is not None))
    flags |= flag((28, spec.saved_peer and saved_peer is not None), (29, spec.boosts and boosts is not None))
    flags2 = flag((0, via_business_bot is not None), (12, spec.rank and rank is not None))
    flags2 |= flag((19, spec.guest and guest is not None))
    blob = u32(spec.constructor) + u32(flags)
    if spec.flags2:
        blob += u32(flags2)
    blob += i32(mid)
    if has_from:
        blob += from_peer if spec.peer_from and from_peer is not None else i32(from_user or 0)
    if spec.boosts and boosts is not None:
        blob += i32(boosts)
    if spec.rank and rank is not None:
        blob += tl_string(rank)
    blob += to
    if spec.saved_peer and saved_peer is not None:
        blob += saved_peer
    blob += fwd or b""
    if via_bot is not None:
        blob += i64(via_bot) if spec.via_long else i32(via_bot)
    if spec.flags2 and via_business_bot is not None:
        blob += i64(via_business_bot)
    if spec.guest and guest is not None:
        blob += guest
    if reply_to is not None:
        blob += i32(reply_to) if isinstance(reply_to, int) else reply_to
    blob += i32(date)
    blob += tl_bytes(text) if isinstance(text, bytes) else tl_string(text)
    blob += media or b""
    return blob + tl_string(attach_path)


def old_message(*, mid: int, date: int, text: str, from_user: int, to: bytes, out: bool) -> bytes:
    """TL_message_old#22eb6aba: no flags; out and unread as Bool; media always present."""
    bool_ = u32(0x997275B5) if out else u32(0xBC799737)
    return (
        u32(0x22EB6ABA) + i32(mid) + i32(from_user) + to + bool_ + u32(0xBC799737) + i32(date)
        + tl_string(text) + u32(0x3DED6320) + tl_string(" ")
    )  # fmt: skip


def secret_message(*, mid: int, date: int, text: str, from_user: int, to: bytes, ttl: int = 0) -> bytes:
    """TL_message_secret#555555fa: id, ttl, a bare sender id, the peer."""
    return (
        u32(0x555555FA) + u32(0) + i32(mid) + i32(ttl) + i32(from_user) + to + i32(date) + tl_string(text)
        + u32(0x3DED6320) + tl_string(" ")
    )  # fmt: skip


# --- service messages -------------------------------------------------------------------------------


def service(
    constructor: int,
    *,
    mid: int,
    date: int,
    to: bytes,
    action: bytes,
    from_user: int | None = None,
    out: bool = False,
    reply_to: int | None = None,
) -> bytes:
    """messageService of the 0x7A800E0A (current), 0x2B085862 (layer 195) or 0x9E19A1F6 (layer 118) layout.

    ``reply_to`` is the message a pin (or a game score) refers to: a reply header, a bare id in layer 118.
    """
    legacy = constructor == 0x9E19A1F6
    flags = flag((1, out), (8, from_user is not None), (3, reply_to is not None))
    blob = u32(constructor) + u32(flags) + i32(mid)
    if from_user is not None:
        blob += i32(from_user) if legacy else peer("user", from_user)
    blob += to
    if reply_to is not None:
        blob += i32(reply_to) if legacy else reply(0x6917560B, msg_id=reply_to)
    return blob + i32(date) + action + tl_string(" ")


def chat_create(title: str | bytes, users: list[int]) -> bytes:
    return (
        u32(0xBD47CBAD) + tl_string(title) + u32(VECTOR) + i32(len(users)) + b"".join(i64(u) for u in users)
    )


def phone_call(*, call_id: int, video: bool, reason: int | None, duration: int | None) -> bytes:
    flags = flag((2, video), (0, reason is not None), (1, duration is not None))
    out = u32(0x80E11A7F) + u32(flags) + i64(call_id)
    out += u32(reason) if reason is not None else b""
    return out + (i32(duration) if duration is not None else b"")


MISSED, HANGUP, BUSY = 0x85E42301, 0x57ADC690, 0xFAF7E8C9


# --- users ----------------------------------------------------------------------------------------


def user(
    constructor: int,
    *,
    uid: int,
    first: str | bytes | None = None,
    last: str | None = None,
    username: str | None = None,
    phone: str | None = None,
    is_self: bool = False,
    contact: bool = False,
    deleted: bool = False,
) -> bytes:
    """TL_user up to its phone, then a photo and status the reader need not decode."""
    flags2 = constructor in (0x31774388, 0x020B1422, 0x83314FCA, 0x215C4438, 0x8F97C628)
    long_id = flags2 or constructor == 0x3FF6ECB0
    flags = flag((0, True), (1, first is not None), (2, last is not None), (3, username is not None))
    flags |= flag((4, phone is not None), (10, is_self), (11, contact), (13, deleted), (5, True), (6, True))
    out = u32(constructor) + u32(flags) + (u32(0) if flags2 else b"")
    out += i64(uid) if long_id else i32(uid)
    out += i64(0x1234_5678_9ABC)
    for value in (first, last, username, phone):
        out += tl_string(value) if value is not None else b""
    return out + u32(0x82D1F706) + b"\x33" * 24 + u32(0x9D05049) + i32(1_741_900_000)
