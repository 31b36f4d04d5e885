"""The Telegram TL reader: every message layer, headers, media, actions and users, from encoded blobs.

Blobs come from tests/parsers/android/telegram_encoder.py, written from the client's serializers
independently of the reader's tables.
"""

from __future__ import annotations

import re

import pytest

from evidence_intake.artefacts.text import LossyText
from evidence_intake.parsers.android import telegram_layouts
from evidence_intake.parsers.android.telegram_objects import (
    decode_message,
    decode_user,
    describe_action,
    describe_media,
)
from evidence_intake.parsers.android.telegram_tl import PRIMITIVES, Layout, layout, table
from tests.parsers.android import telegram_encoder as enc

HR, SELF, GROUP, CHANNEL = 6_512_340_871, 7_123_450_143, 4_155_501_877, 1_987_654_321
OLD_HR = 651_234_087  # a 32-bit id for layers before 133
DATE = 1_740_452_400


def user_peer(layer: int, ident: int) -> bytes:
    return enc.peer("user", ident, legacy=layer <= 132)


@pytest.mark.parametrize("layer", sorted(enc.MESSAGE_LAYERS))
def test_every_message_layer_gives_text_sender_chat_and_date(layer: int) -> None:
    ident = OLD_HR if layer <= 132 else HR
    blob = enc.message(
        layer, mid=77, date=DATE, text="ส่งเงินแล้ว 已转账", to=user_peer(layer, ident), from_user=ident
    )
    decoded = decode_message(blob)
    assert decoded.problem is None, decoded.problem
    assert decoded.label == f"layer {layer}"
    assert (decoded.kind, decoded.id, decoded.date, decoded.text) == ("message", 77, DATE, "ส่งเงินแล้ว 已转账")
    assert decoded.sender == ("user", ident) and decoded.peer == ("user", ident)
    assert decoded.media is None and decoded.forward is None and decoded.reply_to is None


@pytest.mark.parametrize("layer", [227, 226, 224, 199, 179])
def test_second_flags_word_fields_are_stepped_over(layer: int) -> None:
    blob = enc.message(
        layer,
        mid=5,
        date=DATE,
        text="via business bot",
        to=enc.peer("channel", CHANNEL),
        from_user=HR,
        boosts=3,
        rank="admin",
        via_bot=93_372_553,
        via_business_bot=5_000_000_001,
        guest=enc.peer("user", SELF),
        saved_peer=enc.peer("user", SELF),
        reply_to=enc.reply(0x6917560B, msg_id=4),
    )
    decoded = decode_message(blob)
    assert decoded.problem is None, decoded.problem
    assert (decoded.text, decoded.reply_to, decoded.peer) == ("via business bot", 4, ("channel", CHANNEL))


def test_group_message_from_another_member() -> None:
    blob = enc.message(173, mid=104, date=DATE, text="明天开会", to=enc.peer("chat", GROUP), from_user=HR)
    decoded = decode_message(blob)
    assert decoded.sender == ("user", HR) and decoded.peer == ("chat", GROUP)


@pytest.mark.parametrize(
    ("constructor", "kwargs", "origin", "name"),
    [
        (
            0x4E4DF4BB,
            {"from_peer": enc.peer("channel", CHANNEL), "channel_post": 9},
            ("channel", CHANNEL),
            None,
        ),
        (0x4E4DF4BB, {"from_name": "Hidden Sender"}, None, "Hidden Sender"),
        (
            0x5F777DCE,
            {"from_peer": enc.peer("user", HR), "saved_from": (enc.peer("user", SELF), 12)},
            ("user", HR),
            None,
        ),
        (0x353A686B, {"from_user": OLD_HR, "from_name": "x"}, ("user", OLD_HR), "x"),
        (0xEC338270, {"from_user": OLD_HR}, ("user", OLD_HR), None),
        (0x559EBE6D, {"channel": 1_234_567, "channel_post": 3}, ("channel", 1_234_567), None),
        (0xFADFF4AC, {"from_user": OLD_HR}, ("user", OLD_HR), None),
        (0xC786DDCB, {"from_user": OLD_HR}, ("user", OLD_HR), None),
    ],
)
def test_forward_headers_of_each_layout(
    constructor: int, kwargs: dict[str, object], origin: tuple[str, int] | None, name: str | None
) -> None:
    fwd = enc.forward(constructor, date=DATE - 86_400, **kwargs)  # type: ignore[arg-type]
    layer = 169 if constructor in (0x4E4DF4BB, 0x5F777DCE) else 118
    decoded = decode_message(
        enc.message(layer, mid=9, date=DATE, text="forwarded", to=user_peer(layer, OLD_HR), fwd=fwd)
    )
    assert decoded.problem is None, decoded.problem
    assert decoded.forward is not None and decoded.text == "forwarded"
    assert (decoded.forward.origin, decoded.forward.origin_name, decoded.forward.date) == (
        origin,
        name,
        DATE - 86_400,
    )


@pytest.mark.parametrize(
    ("header", "target"),
    [
        (enc.reply(0xA6D57763, msg_id=41, top_id=40), 41),
        (enc.reply(0x6EEBCABD, msg_id=42, quote_text="明天"), 42),
        (enc.reply(0xAFBC09DB, msg_id=43, quote_text="quoted", quote_offset=2), 43),
        (enc.reply(0x6917560B, msg_id=44, to_peer=enc.peer("chat", GROUP), todo_item=1), 44),
        (enc.reply(0x1B97DD66, msg_id=45, poll_option=b"\x01"), 45),
    ],
)
def test_reply_headers_of_each_layout(header: bytes, target: int) -> None:
    decoded = decode_message(
        enc.message(195, mid=50, date=DATE, text="ok", to=enc.peer("user", HR), reply_to=header)
    )
    assert decoded.problem is None, decoded.problem
    assert (decoded.reply_to, decoded.text) == (target, "ok")


def test_a_quote_with_formatting_is_stepped_over() -> None:
    entities = [enc.entity_bold(0, 4), enc.entity_text_url(5, 3, "https://t.me/golden_dawn_hr")]
    header = enc.reply(
        0x6917560B, msg_id=46, quote_text="โอนเงิน now", quote_entities=entities, quote_offset=0
    )
    decoded = decode_message(
        enc.message(226, mid=53, date=DATE, text="done", to=enc.peer("user", HR), reply_to=header)
    )
    assert (decoded.problem, decoded.reply_to, decoded.text) == (None, 46, "done")
    odd = enc.u32(0x904AC7C8) + enc.i32(0) + enc.i32(1)  # not an entity the tables know
    header = enc.reply(0x6917560B, msg_id=47, quote_text="x", quote_entities=[odd])
    decoded = decode_message(
        enc.message(226, mid=54, date=DATE, text="lost", to=enc.peer("user", HR), reply_to=header)
    )
    assert decoded.text is None and decoded.problem is not None
    assert "quote_entities: MessageEntity constructor 0x904ac7c8" in decoded.problem


def test_reply_to_a_story() -> None:
    header = enc.reply_story(enc.peer("user", HR), 8)
    decoded = decode_message(
        enc.message(205, mid=51, date=DATE, text="nice", to=enc.peer("user", HR), reply_to=header)
    )
    assert (decoded.reply_to_story, decoded.text, decoded.problem) == (8, "nice", None)


def test_a_reply_quoting_media_stops_before_the_text_and_says_why() -> None:
    header = enc.reply(0x6917560B, msg_id=7, reply_media=enc.photo_media())
    decoded = decode_message(
        enc.message(
            226, mid=52, date=DATE, text="unseen", to=enc.peer("user", HR), from_user=HR, reply_to=header
        )
    )
    assert decoded.text is None and decoded.date is None
    assert decoded.sender == ("user", HR)  # read before the reply header: kept
    assert (
        decoded.problem is not None and "messageMediaPhoto" in decoded.problem and "date" in decoded.problem
    )


def test_media_only_message_and_media_kinds() -> None:
    photo = decode_message(
        enc.message(173, mid=1, date=DATE, text="", to=enc.peer("user", HR), media=enc.photo_media())
    )
    assert photo.problem is None and photo.text == "" and photo.media is not None
    assert describe_media(photo.media) == "photo" and not photo.notes
    doc = decode_message(
        enc.message(226, mid=2, date=DATE, text="สัญญา", to=enc.peer("user", HR), media=enc.document_media())
    )
    assert doc.media is not None and describe_media(doc.media) == "document" and doc.text == "สัญญา"
    geo = decode_message(
        enc.message(
            199, mid=3, date=DATE, text="", to=enc.peer("user", HR), media=enc.geo_media(16.7123, 98.5678)
        )
    )
    assert geo.media is not None and describe_media(geo.media) == "location: 16.712300, 98.567800"
    venue = enc.venue_media(13.7563, 100.5018, "Compound gate", "Myawaddy road")
    shown = decode_message(enc.message(199, mid=4, date=DATE, text="", to=enc.peer("user", HR), media=venue))
    assert shown.media is not None
    assert describe_media(shown.media) == "venue: Compound gate, Myawaddy road, 13.756300, 100.501800"
    card = enc.contact_media("66815550199", "Pranee", "", 0)
    contact = decode_message(enc.message(173, mid=5, date=DATE, text="", to=enc.peer("user", HR), media=card))
    assert contact.media is not None and describe_media(contact.media) == "contact: Pranee, 66815550199"


def test_unknown_media_keeps_the_text_and_notes_the_constructor() -> None:
    odd = enc.u32(0x8A53B014) + b"\x00" * 12
    decoded = decode_message(
        enc.message(226, mid=6, date=DATE, text="see list", to=enc.peer("user", HR), media=odd)
    )
    assert decoded.problem is None and decoded.text == "see list"
    assert decoded.media is not None and not decoded.media.known
    assert describe_media(decoded.media) == "media (TL constructor 0x8a53b014 not known)"
    assert any("0x8a53b014" in n for n in decoded.notes)


def test_unknown_message_constructor_is_reported_not_guessed() -> None:
    blob = (
        enc.u32(0x12345678)
        + enc.u32(0)
        + enc.i32(9)
        + enc.peer("user", HR)
        + enc.i32(DATE)
        + enc.tl_string("text")
    )
    decoded = decode_message(blob)
    assert decoded.kind == "unknown" and decoded.text is None and decoded.date is None
    assert decoded.problem == "TL constructor 0x12345678 not decoded (no message layout for it)"


def test_truncated_and_garbled_blobs() -> None:
    whole = enc.message(173, mid=8, date=DATE, text="cut short", to=enc.peer("user", HR))
    cut = decode_message(whole[:30])
    assert cut.problem is not None and "runs past the end" in cut.problem and cut.text is None
    assert decode_message(b"\x01\x02").problem == "the blob is shorter than a constructor id"
    # a Message where the peer belongs: the layout cannot be right
    wrong = enc.u32(0x76BEC211) + enc.u32(0) + enc.i32(1) + enc.u32(0x76BEC211) + b"\x00" * 16
    garbled = decode_message(wrong)
    assert garbled.problem is not None and "not a Peer" in garbled.problem


def test_long_and_invalid_utf8_text() -> None:
    long_text = "ประชุมพรุ่งนี้ 9 โมง " * 40  # over 254 bytes: the 0xfe length form
    assert (
        decode_message(enc.message(173, mid=1, date=DATE, text=long_text, to=enc.peer("user", HR))).text
        == long_text
    )
    broken = decode_message(
        enc.message(173, mid=1, date=DATE, text=b"ok \xff\xfe end", to=enc.peer("user", HR))
    )
    assert isinstance(broken.text, LossyText) and broken.text.raw == b"ok \xff\xfe end"


def test_old_layers_without_flags() -> None:
    old = decode_message(
        enc.old_message(
            mid=3, date=DATE, text="hi", from_user=OLD_HR, to=user_peer(1, SELF % 10**9), out=True
        )
    )
    assert (old.problem, old.text, old.sender, old.label) == (None, "hi", ("user", OLD_HR), "old")
    secret = decode_message(
        enc.secret_message(mid=-5, date=DATE, text="secret", from_user=OLD_HR, to=user_peer(1, 42))
    )
    assert (secret.problem, secret.text, secret.id, secret.label) == (None, "secret", -5, "secret chat")


def test_service_messages_name_their_action() -> None:
    def name_of(peer: tuple[str, int]) -> str:
        return {HR: "golden dawn hr"}.get(peer[1], str(peer[1]))

    create = enc.service(
        0x7A800E0A,
        mid=1,
        date=DATE,
        to=enc.peer("chat", GROUP),
        from_user=SELF,
        out=True,
        action=enc.chat_create("园区通知", [HR, SELF]),
    )
    decoded = decode_message(create)
    assert decoded.kind == "service" and decoded.problem is None and decoded.action is not None
    assert (
        describe_action(decoded.action, name_of) == f'group created: "园区通知"; with golden dawn hr, {SELF}'
    )
    call = enc.service(
        0x2B085862,
        mid=2,
        date=DATE,
        to=enc.peer("user", HR),
        from_user=HR,
        action=enc.phone_call(call_id=99, video=True, reason=enc.HANGUP, duration=125),
    )
    decoded = decode_message(call)
    assert (
        decoded.action is not None
        and describe_action(decoded.action, name_of) == "call: video call, 125 s, hung up"
    )
    old = enc.service(
        0x9E19A1F6, mid=3, date=DATE, to=user_peer(118, 42), from_user=OLD_HR, action=enc.u32(0x4792929B)
    )
    decoded = decode_message(old)
    assert decoded.action is not None and describe_action(decoded.action, name_of) == "screenshot taken"
    assert decoded.sender == ("user", OLD_HR)
    odd = enc.service(0x7A800E0A, mid=4, date=DATE, to=enc.peer("user", HR), action=enc.u32(0xDEADBEEF))
    decoded = decode_message(odd)
    assert decoded.problem is None and decoded.action is not None and not decoded.action.known
    assert (
        describe_action(decoded.action, name_of)
        == "service message (action TL constructor 0xdeadbeef not known)"
    )


@pytest.mark.parametrize(
    "constructor", [0x31774388, 0x020B1422, 0x83314FCA, 0x215C4438, 0x8F97C628, 0x3FF6ECB0]
)
def test_users_of_each_layer(constructor: int) -> None:
    blob = enc.user(
        constructor,
        uid=HR,
        first="Golden Dawn",
        last="HR",
        username="golden_dawn_hr",
        phone="855965550187",
        contact=True,
    )
    decoded = decode_user(blob)
    assert decoded.problem is None, decoded.problem
    assert (decoded.id, decoded.display_name, decoded.username, decoded.phone) == (
        HR,
        "Golden Dawn HR",
        "golden_dawn_hr",
        "855965550187",
    )
    assert decoded.contact and not decoded.is_self


def test_old_user_and_self_flag_and_unknown_user() -> None:
    old = decode_user(enc.user(0x938458C1, uid=OLD_HR, first="Chen", phone="66925550143", is_self=True))
    assert (old.id, old.first_name, old.last_name, old.phone, old.is_self) == (
        OLD_HR,
        "Chen",
        None,
        "66925550143",
        True,
    )
    unknown = decode_user(enc.u32(0x4B46C37E) + b"\x00" * 40)
    assert unknown.problem is not None and "0x4b46c37e" in unknown.problem and unknown.id is None


def test_tables_are_consistent() -> None:
    layouts: list[Layout] = list(telegram_layouts.TABLES.layouts.values())
    types = {item.type for item in layouts}
    for item in layouts:
        for f in item.fields or ():
            inner = re.sub(r"^Vector<(.*)>$", r"\1", f.type)
            assert inner in PRIMITIVES or inner in types, (item.name, f)
            assert f.flags is None or f.flags in {g.name for g in item.fields or () if g.type == "#"}
    with pytest.raises(ValueError, match="listed twice"):
        table(layout("a#00000001", "T", "", ""), layout("b#00000001", "T", "", ""))
    with pytest.raises(ValueError, match="cannot read field"):
        layout("a#00000001", "T", "", "bad field")
