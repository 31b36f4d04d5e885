"""The constructor tables of the Telegram reader: per constructor id, the fields read, in schema order.

Sources (facts, transcribed by hand): the Android client's ``TLRPC.java`` and
``tl/legacy/TL_legacy_message.java`` (DrKLO/Telegram: ``TL_message_layerNNN`` classes, their
``readParams``), the published API schemas (core.telegram.org/schema) for the current constructors,
and ALEAPP's Telegram module for the ids of old service-message layouts and actions. A message layout
stops at ``media`` (everything the artefact needs is before it or is its kind); a user layout stops at
``phone``. Field names are the schema's, except that old layers' ``to_id`` is called ``peer_id`` and
their bare user id ``from_id:int`` keeps the name ``from_id`` (the reader tells the two apart).

Adding a layer: copy the nearest layout, change the id and the fields that moved, add a test blob
to tests/parsers/android/test_telegram_tl.py built by the test encoder from the client's field order.
"""

from __future__ import annotations

from evidence_intake.parsers.android.telegram_tl import Layout, Tables, layout, table

# --- messages -------------------------------------------------------------------------------------

# The prefix every layout shares, and what each layer changed before the text.
_TAIL = "date:int message:string media:flags.9?MessageMedia"
_F226 = (
    "flags:# out:flags.1?true flags2:# id:int from_id:flags.8?Peer from_boosts_applied:flags.29?int "
    "from_rank:flags2.12?string peer_id:Peer saved_peer_id:flags.28?Peer fwd_from:flags.2?MessageFwdHeader "
    "via_bot_id:flags.11?long via_business_bot_id:flags2.0?long guestchat_via_from:flags2.19?Peer "
    f"reply_to:flags.3?MessageReplyHeader {_TAIL}"
)
_F224 = _F226.replace(" guestchat_via_from:flags2.19?Peer", "")
_F179 = _F224.replace(" from_rank:flags2.12?string", "")
_F175 = _F179.replace(" flags2:#", "").replace(" via_business_bot_id:flags2.0?long", "")
_F173 = _F175.replace(" from_boosts_applied:flags.29?int", "")
_F169 = _F173.replace(" saved_peer_id:flags.28?Peer", "")
_F131 = _F169.replace("via_bot_id:flags.11?long", "via_bot_id:flags.11?int")
_F118 = (
    "flags:# out:flags.1?true id:int from_id:flags.8?int peer_id:Peer fwd_from:flags.2?MessageFwdHeader "
    f"via_bot_id:flags.11?int reply_to_msg_id:flags.3?int {_TAIL}"
)
_F47 = (
    "flags:# out:flags.1?true id:int from_id:flags.8?int peer_id:Peer fwd_from_id:flags.2?Peer "
    f"fwd_date:flags.2?int via_bot_id:flags.11?int reply_to_msg_id:flags.3?int {_TAIL}"
)
_OLD_TAIL = "date:int message:string media:MessageMedia"  # before layer 45 media was always there
_OLD6 = (
    "flags:# out:flags.1?true id:int from_id:int peer_id:Peer fwd_from_id:flags.2?int fwd_date:flags.2?int "
    f"reply_to_msg_id:flags.3?int {_OLD_TAIL}"
)
_SECRET = f"flags:# out:flags.1?true id:int ttl:int from_id:int peer_id:Peer {_OLD_TAIL}"


def _message(spec: str, label: str, fields: str) -> Layout:
    return layout(spec, "Message", label, fields, partial=True)


MESSAGES = (
    _message("message#7600b9d3", "layer 227", _F226),
    _message("message#95ef6f2b", "layer 226", _F226),
    _message("message#3ae56482", "layer 224", _F224),
    _message("message#9cb490e9", "layer 222", _F179),
    _message("message#b92f76cf", "layer 220", _F179),
    _message("message#9815cec8", "layer 216", _F179),
    _message("message#eabcdd4d", "layer 205", _F179),
    _message("message#96fdbbe9", "layer 199", _F179),
    _message("message#94345242", "layer 195", _F179),
    _message("message#bde09c2e", "layer 180", _F179),
    _message("message#2357bf25", "layer 179", _F179),
    _message("message#a4e97f37", "layer 179", _F179),  # read by the client with the layer 179 class
    _message("message#a66c7efc", "layer 176", _F175),
    _message("message#1e4c8a69", "layer 175", _F175),
    _message("message#76bec211", "layer 173", _F173),
    _message("message#38116ee0", "layer 169", _F169),
    _message("message#85d6cbe2", "layer 135", _F169),
    _message("message#bce383d2", "layer 131", _F131),
    _message("message#58ae39c9", "layer 123", _F131),
    _message("message#f52e6b7f", "layer 118", _F118),
    _message("message#452c0e65", "layer 117", _F118),
    _message("message#44f9b43d", "layer 104", _F118),
    _message("message#1c9b1027", "layer 104", _F118),
    _message("message#9789dac4", "layer 104", _F118),
    _message("message#90dddc11", "layer 72", _F118),
    _message("message#c09be45f", "layer 68", _F118),
    _message("message#c992e15c", "layer 47", _F47),
    _message(
        "message#5ba66c13", "old 7", _F47.replace(" via_bot_id:flags.11?int", "").replace(_TAIL, _OLD_TAIL)
    ),
    _message("message#2bebfa86", "old 6", _OLD6),
    _message("message#f07814c8", "old 5", _OLD6),
    _message("message#c3060325", "old 4", _OLD6),
    _message("message#a7ab1991", "old 3", _OLD6),
    _message(
        "message#567699b3", "old 2", f"flags:# out:flags.1?true id:int from_id:int peer_id:Peer {_OLD_TAIL}"
    ),
    _message("message#22eb6aba", "old", f"id:int from_id:int peer_id:Peer out:Bool unread:Bool {_OLD_TAIL}"),
    _message(
        "messageForwarded#a367e716",
        "old 2",
        f"flags:# out:flags.1?true id:int fwd_from_id:int fwd_date:int from_id:int peer_id:Peer {_OLD_TAIL}",
    ),
    _message(
        "messageForwarded#05f46804",
        "old",
        f"id:int fwd_from_id:int fwd_date:int from_id:int peer_id:Peer out:Bool unread:Bool {_OLD_TAIL}",
    ),
    _message("message_secret#555555fa", "secret chat", _SECRET),
    _message("message_secret#555555f9", "secret chat, layer 72", _SECRET),
    _message("message_secret#555555f8", "secret chat, old", _SECRET),
    layout("messageEmpty#90a6ca84", "Message", "empty", "flags:# id:int peer_id:flags.0?Peer"),
    layout("messageEmpty#83e5de54", "Message", "empty, layer 122", "id:int"),
)

_SERVICE_123 = (
    "flags:# out:flags.1?true id:int from_id:flags.8?Peer peer_id:Peer "
    "reply_to:flags.3?MessageReplyHeader date:int action:MessageAction"
)
SERVICES = tuple(
    layout(spec, "Message", label, fields, partial=True)
    for spec, label, fields in (
        (
            "messageService#7a800e0a",
            "service, layer 205",
            _SERVICE_123.replace("peer_id:Peer", "peer_id:Peer saved_peer_id:flags.28?Peer"),
        ),
        ("messageService#d3d28540", "service, layer 204", _SERVICE_123),
        ("messageService#2b085862", "service, layer 195", _SERVICE_123),
        ("messageService#286fa604", "service, layer 123", _SERVICE_123),
        (
            "messageService#9e19a1f6",
            "service, layer 118",
            "flags:# out:flags.1?true id:int from_id:flags.8?int peer_id:Peer reply_to_msg_id:flags.3?int "
            "date:int action:MessageAction",
        ),
        (
            "messageService#c06b9607",
            "service, layer 48",
            "flags:# out:flags.1?true id:int from_id:flags.8?int peer_id:Peer date:int action:MessageAction",
        ),
        (
            "messageService#1d86f70e",
            "service, old 2",
            "flags:# out:flags.1?true id:int from_id:int peer_id:Peer date:int action:MessageAction",
        ),
        (
            "messageService#9f8d60bb",
            "service, old",
            "id:int from_id:int peer_id:Peer out:Bool unread:Bool date:int action:MessageAction",
        ),
    )
)

# --- what a message header holds -------------------------------------------------------------------

PEERS = (
    layout("peerUser#59511722", "Peer", "user", "user_id:long"),
    layout("peerChat#36c6019a", "Peer", "group", "chat_id:long"),
    layout("peerChannel#a2a5371e", "Peer", "channel", "channel_id:long"),
    layout("peerUser#9db1bc6d", "Peer", "user, layer 132", "user_id:int"),
    layout("peerChat#bad0e5bb", "Peer", "group, layer 132", "chat_id:int"),
    layout("peerChannel#bddde532", "Peer", "channel, layer 132", "channel_id:int"),
)

_FWD_119 = (
    "flags:# imported:flags.7?true from_id:flags.0?Peer from_name:flags.5?string date:int "
    "channel_post:flags.2?int post_author:flags.3?string saved_from_peer:flags.4?Peer "
    "saved_from_msg_id:flags.4?int"
)
_FWD_OLD = (
    "flags:# from_id:flags.0?int from_name:flags.5?string date:int channel_id:flags.1?int "
    "channel_post:flags.2?int post_author:flags.3?string saved_from_peer:flags.4?Peer "
    "saved_from_msg_id:flags.4?int"
)
FORWARDS = (
    layout(
        "messageFwdHeader#4e4df4bb",
        "MessageFwdHeader",
        "forward",
        _FWD_119.replace("imported:flags.7?true", "imported:flags.7?true saved_out:flags.11?true")
        + " saved_from_id:flags.8?Peer saved_from_name:flags.9?string saved_date:flags.10?int"
        + " psa_type:flags.6?string",
    ),
    layout(
        "messageFwdHeader#5f777dce",
        "MessageFwdHeader",
        "forward, layer 119",
        _FWD_119 + " psa_type:flags.6?string",
    ),
    layout(
        "messageFwdHeader#353a686b",
        "MessageFwdHeader",
        "forward, layer 112",
        _FWD_OLD + " psa_type:flags.6?string",
    ),
    layout("messageFwdHeader#ec338270", "MessageFwdHeader", "forward, layer 111", _FWD_OLD),
    layout(
        "messageFwdHeader#559ebe6d",
        "MessageFwdHeader",
        "forward, layer 72",
        _FWD_OLD.replace(" from_name:flags.5?string", ""),
    ),
    layout(
        "messageFwdHeader#fadff4ac",
        "MessageFwdHeader",
        "forward, layer 68",
        "flags:# from_id:flags.0?int date:int channel_id:flags.1?int channel_post:flags.2?int "
        "post_author:flags.3?string",
    ),
    layout(
        "messageFwdHeader#c786ddcb",
        "MessageFwdHeader",
        "forward, layer 56",
        "flags:# from_id:flags.0?int date:int channel_id:flags.1?int channel_post:flags.2?int",
    ),
)

_REPLY_166 = (
    "flags:# reply_to_scheduled:flags.2?true forum_topic:flags.3?true quote:flags.9?true "
    "reply_to_msg_id:flags.4?int reply_to_peer_id:flags.0?Peer reply_from:flags.5?MessageFwdHeader "
    "reply_media:flags.8?MessageMedia reply_to_top_id:flags.1?int quote_text:flags.6?string "
    "quote_entities:flags.7?Vector<MessageEntity>"
)
REPLIES = (
    layout(
        "messageReplyHeader#1b97dd66",
        "MessageReplyHeader",
        "reply",
        f"{_REPLY_166} quote_offset:flags.10?int todo_item_id:flags.11?int poll_option:flags.12?bytes",
    ),
    layout(
        "messageReplyHeader#6917560b",
        "MessageReplyHeader",
        "reply, layer 223",
        f"{_REPLY_166} quote_offset:flags.10?int todo_item_id:flags.11?int",
    ),
    layout(
        "messageReplyHeader#afbc09db",
        "MessageReplyHeader",
        "reply, layer 207",
        f"{_REPLY_166} quote_offset:flags.10?int",
    ),
    layout("messageReplyHeader#6eebcabd", "MessageReplyHeader", "reply, layer 166", _REPLY_166),
    layout(
        "messageReplyHeader#a6d57763",
        "MessageReplyHeader",
        "reply, layer 165",
        "flags:# reply_to_scheduled:flags.2?true forum_topic:flags.3?true reply_to_msg_id:int "
        "reply_to_peer_id:flags.0?Peer reply_to_top_id:flags.1?int",
    ),
    layout(
        "messageReplyStoryHeader#0e5af939", "MessageReplyHeader", "reply to a story", "peer:Peer story_id:int"
    ),
    layout(
        "messageReplyStoryHeader#9c98bfc1",
        "MessageReplyHeader",
        "reply to a story, layer 173",
        "user_id:long story_id:int",
    ),
)

# The formatting of a quote in a reply: read only to reach what follows it.
_SPAN = "offset:int length:int"
ENTITIES = (
    *(
        layout(f"messageEntity{name}#{hex_id}", "MessageEntity", name.lower(), _SPAN)
        for name, hex_id in (
            ("Unknown", "bb92ba95"),
            ("Mention", "fa04579d"),
            ("Hashtag", "6f635b0d"),
            ("BotCommand", "6cef8ac7"),
            ("Url", "6ed02538"),
            ("Email", "64e475c2"),
            ("Bold", "bd610bc9"),
            ("Italic", "826f8b60"),
            ("Code", "28a20571"),
            ("Phone", "9b69e34b"),
            ("Cashtag", "4c4e743f"),
            ("Underline", "9c4e7e8b"),
            ("Strike", "bf0693d4"),
            ("BankCard", "761e6af4"),
            ("Spoiler", "32ca960f"),
            ("Blockquote", "020df5d0"),
        )
    ),
    layout("messageEntityPre#73924be0", "MessageEntity", "pre", f"{_SPAN} language:string"),
    layout("messageEntityTextUrl#76a6d327", "MessageEntity", "text url", f"{_SPAN} url:string"),
    layout("messageEntityMentionName#dc7b1140", "MessageEntity", "mention name", f"{_SPAN} user_id:long"),
    layout("messageEntityMentionName#352dca58", "MessageEntity", "mention name", f"{_SPAN} user_id:int"),
    layout("messageEntityCustomEmoji#c8cf05f8", "MessageEntity", "custom emoji", f"{_SPAN} document_id:long"),
    layout("messageEntityBlockquote#f1ccaaac", "MessageEntity", "blockquote", f"flags:# {_SPAN}"),
    layout(
        "messageEntityFormattedDate#904ac7c7", "MessageEntity", "formatted date", f"flags:# {_SPAN} date:int"
    ),
)

# --- media: the kind always; a few simple ones in full ---------------------------------------------

_OPAQUE_MEDIA = (
    ("messageMediaPhoto", "photo", ("695150d7", "b5223b0f", "3d8ce53d")),
    ("messageMediaDocument", "document", ("52d8ccd9", "4cf4d72d", "9cb070d7", "7c4414d3", "f3e02ea8")),
    ("messageMediaWebPage", "web page preview", ("ddf10c3b", "a32dd600")),
    ("messageMediaGame", "game", ("fdb19008",)),
    ("messageMediaInvoice", "invoice", ("f6a548d3", "84551347")),
    ("messageMediaPoll", "poll", ("4bd6e798",)),
    ("messageMediaDice", "dice", ("3f7ee58b", "08cbec07")),
    ("messageMediaStory", "story", ("68cb6283",)),
    ("messageMediaGiveaway", "giveaway", ("aa073beb", "daad85b0")),
    ("messageMediaGiveawayResults", "giveaway results", ("ceaa3ea1", "c6991068")),
    ("messageMediaPaidMedia", "paid media", ("a8852491",)),
    ("messageMediaUnsupported", "unsupported media", ("9f84f49e",)),
)
_CONTACT = "phone_number:string first_name:string last_name:string"
MEDIA = (
    layout("messageMediaEmpty#3ded6320", "MessageMedia", "", ""),
    *(
        layout(f"{name}#{hex_id}", "MessageMedia", kind, None)
        for name, kind, ids in _OPAQUE_MEDIA
        for hex_id in ids
    ),
    layout("messageMediaGeo#56e0d474", "MessageMedia", "location", "geo:GeoPoint"),
    layout(
        "messageMediaGeoLive#b940c666", "MessageMedia", "live location", "flags:# geo:GeoPoint", partial=True
    ),
    layout(
        "messageMediaVenue#2ec0533f",
        "MessageMedia",
        "venue",
        "geo:GeoPoint title:string address:string",
        partial=True,
    ),
    layout(
        "messageMediaVenue#7912b71f",
        "MessageMedia",
        "venue",
        "geo:GeoPoint title:string address:string",
        partial=True,
    ),
    layout("messageMediaContact#70322949", "MessageMedia", "contact", _CONTACT, partial=True),
    layout("messageMediaContact#cbf24940", "MessageMedia", "contact", _CONTACT, partial=True),
    layout("messageMediaContact#5e7d2f39", "MessageMedia", "contact", _CONTACT, partial=True),
    layout("geoPointEmpty#1117dd5f", "GeoPoint", "no position", ""),
    layout(
        "geoPoint#b2a2f663",
        "GeoPoint",
        "position",
        "flags:# long:double lat:double access_hash:long accuracy_radius:flags.0?int",
    ),
)

# --- service message actions: the words always, the details of some --------------------------------

_ACTION_FIELDS = (
    ("messageActionEmpty#b6aef7b0", "empty action", ""),
    ("messageActionChatCreate#bd47cbad", "group created", "title:string users:Vector<long>"),
    ("messageActionChatCreate#a6638b9a", "group created", "title:string users:Vector<int>"),
    ("messageActionChatEditTitle#b5a1ce5a", "group renamed", "title:string"),
    ("messageActionChatDeletePhoto#95e3fbef", "group photo removed", ""),
    ("messageActionChatAddUser#15cefd00", "members added", "users:Vector<long>"),
    ("messageActionChatAddUser#488a7337", "members added", "users:Vector<int>"),
    ("messageActionChatDeleteUser#a43f30cc", "member removed or left", "user_id:long"),
    ("messageActionChatDeleteUser#b2ae9b0c", "member removed or left", "user_id:int"),
    ("messageActionChatJoinedByLink#031224c3", "joined by invite link", "inviter_id:long"),
    ("messageActionChatJoinedByLink#f89cf5e8", "joined by invite link", "inviter_id:int"),
    ("messageActionChatJoinedByRequest#ebbca3cb", "joined after a request was approved", ""),
    ("messageActionChannelCreate#95d2ac92", "channel created", "title:string"),
    ("messageActionChatMigrateTo#e1037f92", "group upgraded to a supergroup", "channel_id:long"),
    ("messageActionChatMigrateTo#51bdb021", "group upgraded to a supergroup", "channel_id:int"),
    (
        "messageActionChannelMigrateFrom#ea3948e9",
        "supergroup created from a group",
        "title:string chat_id:long",
    ),
    (
        "messageActionChannelMigrateFrom#b055eaee",
        "supergroup created from a group",
        "title:string chat_id:int",
    ),
    ("messageActionPinMessage#94bd38ed", "message pinned", ""),
    ("messageActionHistoryClear#9fbab604", "history cleared", ""),
    ("messageActionGameScore#92a72876", "game score", "game_id:long score:int"),
    (
        "messageActionPhoneCall#80e11a7f",
        "call",
        "flags:# video:flags.2?true call_id:long reason:flags.0?PhoneCallDiscardReason duration:flags.1?int",
    ),
    ("messageActionScreenshotTaken#4792929b", "screenshot taken", ""),
    ("messageActionCustomAction#fae69f56", "custom action", "message:string"),
    ("messageActionContactSignUp#f3f25f76", "joined Telegram", ""),
    ("messageActionGeoProximityReached#98e0d697", "proximity alert", "from_id:Peer to_id:Peer distance:int"),
)
_ACTION_NAMES = {
    "group photo changed": ("7fcb13a8",),
    "payment sent": ("40699cd0", "96163f56", "c624b16e"),
    "payment received": ("8f31b327", "ffa00ccc"),
    "payment refunded": ("41b3e202",),
    "bot allowed to write": ("abe9affe", "c516d679"),
    "contact joined Telegram": ("70ef8294",),
    "group call": ("7a0d7f42",),
    "invited to a group call": ("502f92f7", "76b9f11a"),
    "group call scheduled": ("b3a07661",),
    "conference call": ("2ffe2f7a",),
    "auto-delete timer changed": ("3c134d7b", "aa1afbfd"),
    "chat theme changed": ("aa786345", "b91bbd3a"),
    "web app data sent": ("b4c38cb5", "47dd8079"),
    "Telegram Premium gift": ("48e91302", "aba0f5c6", "c83d6aec", "6c6274fa"),
    "topic created": ("0d999256",),
    "topic edited": ("c0944820", "b18a431c"),
    "profile photo suggested": ("57de635e",),
    "peer shared with a bot": ("fe77345d", "31518e9b"),
    "chat wallpaper changed": ("bc44a927", "5060a3f4", "c0787d6d"),
    "gift code": ("678c2e09", "d2cfdb0e", "31c48347", "56d03994"),
    "giveaway started": ("332ba9ed", "a80f51e4"),
    "giveaway results": ("2a9fadc5", "87e2f155"),
    "boost applied": ("cc02aa6d",),
    "Telegram Stars gift": ("45d5b021",),
    "Telegram Stars prize": ("b00c47a2",),
    "star gift": ("08557637", "4717e8a5", "9bb3ef44", "d8f4f0a7", "db596550", "ea2c31d3", "f24de7fa"),
    "unique star gift": ("26077b99", "2e3ae60e", "34f762f3", "95728543", "acdfcb81", "e6c31522"),
    "TON gift": ("a8a3c699",),
    "paid messages refunded": ("ac1f1fcd",),
    "paid message price changed": ("84b88578", "bcd71419"),
    "to-do items completed": ("cc7c5c89",),
    "to-do items added": ("c7edbc83",),
    "suggested post approved": ("ee7a1596",),
    "suggested post published": ("95ddcf69",),
    "suggested post refunded": ("69f916f8",),
    "birthday suggested": ("2c8f2a25",),
    "Telegram Passport data sent": ("d95c6154",),
    "attachment menu bot allowed": ("e7e75f97",),
}
ACTIONS = (
    *(layout(spec, "MessageAction", label, fields) for spec, label, fields in _ACTION_FIELDS),
    *(
        layout(f"messageAction#{hex_id}", "MessageAction", label, None)
        for label, ids in _ACTION_NAMES.items()
        for hex_id in ids
    ),
    layout("phoneCallDiscardReasonMissed#85e42301", "PhoneCallDiscardReason", "missed", ""),
    layout("phoneCallDiscardReasonDisconnect#e095c1a0", "PhoneCallDiscardReason", "disconnected", ""),
    layout("phoneCallDiscardReasonHangup#57adc690", "PhoneCallDiscardReason", "hung up", ""),
    layout("phoneCallDiscardReasonBusy#faf7e8c9", "PhoneCallDiscardReason", "busy", ""),
)

# --- users (users.data), up to the phone number ---------------------------------------------------

_USER_FLAGS = (
    "flags:# self:flags.10?true contact:flags.11?true mutual_contact:flags.12?true deleted:flags.13?true "
    "bot:flags.14?true"
)
_USER_TAIL = (
    "access_hash:flags.0?long first_name:flags.1?string last_name:flags.2?string username:flags.3?string "
    "phone:flags.4?string"
)
USERS = (
    *(
        layout(f"user#{hex_id}", "User", label, f"{_USER_FLAGS} flags2:# id:long {_USER_TAIL}", partial=True)
        for hex_id, label in (
            ("31774388", "layer 227"),
            ("020b1422", "layer 199"),
            ("83314fca", "layer 195"),
            ("215c4438", "layer 184"),
            ("8f97c628", "layer 148"),
        )
    ),
    layout("user#3ff6ecb0", "User", "layer 133", f"{_USER_FLAGS} id:long {_USER_TAIL}", partial=True),
    *(
        layout(f"user#{hex_id}", "User", label, f"{_USER_FLAGS} id:int {_USER_TAIL}", partial=True)
        for hex_id, label in (
            ("938458c1", "layer 131"),
            ("2e13f4c3", "layer 104"),
            ("d10d979a", "layer 65"),
            ("22e49072", "layer 44"),
        )
    ),
    layout("userEmpty#d3bc4b7a", "User", "empty", "id:long"),
    layout("userEmpty#200250ba", "User", "empty, layer 132", "id:int"),
)

TABLES = Tables(table(*MESSAGES, *SERVICES, *PEERS, *FORWARDS, *REPLIES, *ENTITIES, *MEDIA, *ACTIONS, *USERS))
