"""Telegram for Android: the client's cache ``cache4.db`` (messages, the people and groups in them, the
owner's account, calls, and the phone book as Telegram cached it).

Everything that matters lives in TL blobs (``messages_v2.data``, ``users.data``); the table columns
give only the message id, the dialog, the time, the direction and the read/send state. The blobs are
read by a table-driven reader (``telegram_tl``, ``telegram_layouts``, ``telegram_objects``); a blob
whose layout it does not know still gives a message row from the columns, with no text, and a
warning naming the constructor ("TL constructor 0x… not decoded"), so an analyst sees that a message
exists, when and with whom, and that its content was not recovered. Two checks keep a wrong layout
from producing plausible garbage: the decoded message id and date must equal the row's ``mid`` and
``date`` columns, and a decoded user's id must equal ``users.uid``.

Typed path only: every row needs Python to decode its blob.

Dialog ids are the client's: a user's id for a private chat, minus the group's or channel's id for a
group or channel. Telegram stores phone numbers in international form without the plus sign
("66925550143"); the parser gives them to the engine with a "+" so that they are not read as local
numbers of the exhibit's region.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from evidence_intake.artefacts.model import (
    Account,
    Artefact,
    Attachment,
    Call,
    Contact,
    Direction,
    Handle,
    Locator,
    Message,
    Phone,
)
from evidence_intake.artefacts.text import as_text, concat, join_text, partition_text, strip_text
from evidence_intake.parsers.android.telegram_objects import (
    DecodedMessage,
    DecodedUser,
    Peer,
    decode_message,
    decode_user,
    describe_action,
    describe_media,
)
from evidence_intake.parsers.android.telegram_tl import TLObject
from evidence_intake.parsers.base import Parser
from evidence_intake.parsers.schema import Schema
from evidence_intake.parsers.source import Source
from evidence_intake.parsers.sql import col, optional_columns
from evidence_intake.parsers.times import unix_s
from evidence_intake.timeutil import iso_utc

APP = "Telegram"
SEND_STATES = {1: "sending", 2: "failed", 3: "editing"}  # MessageObject.MESSAGE_SEND_STATE_*; 0 is sent
OWNER_SAMPLE = 500  # outgoing messages looked at to find the owner when no user is marked "self"
_MESSAGE_COLUMNS = {"mid", "uid", "date", "data", "out"}
_PEOPLE = {"users": {"uid", "name", "data"}, "chats": {"uid", "name"}}


@dataclass(slots=True)
class Person:
    """A row of ``users``: what its columns say, and its blob when that could be read."""

    uid: int
    search_name: str | None  # users.name before ";;;": the lower-cased name the client searches
    column_username: str | None  # users.name after ";;;"
    user: DecodedUser | None

    @property
    def display_name(self) -> str | None:
        return (self.user.display_name if self.user else None) or self.search_name

    @property
    def username(self) -> str | None:
        return (self.user.username if self.user else None) or self.column_username

    @property
    def phone(self) -> str | None:
        phone = self.user.phone if self.user else None
        return international(phone)


def international(phone: str | None) -> str | None:
    """A Telegram phone ("66925550143") as "+66925550143"; other text as it is."""
    if not phone:
        return None
    return concat("+", phone) if phone.isdigit() else phone


class AndroidTelegramParser(Parser):
    name = "android.telegram"
    version = "1.1"
    title = "Telegram for Android (cache4.db): messages, users, the owner's account, calls, phone book cache"
    kinds = (Message, Contact, Account, Call)
    globs = (
        "**/org.telegram.messenger*/files/cache4.db",
        "**/org.telegram.messenger*/files/account*/cache4.db",
    )
    schemas = (
        Schema(
            "messages_v2",
            {"messages_v2": _MESSAGE_COLUMNS, **_PEOPLE},
            note="Telegram 8.x and later: messages_v2 keyed by (mid, uid), 64-bit ids",
        ),
        Schema(
            "messages",
            {"messages": _MESSAGE_COLUMNS, **_PEOPLE},
            note="Telegram before 8.x: messages keyed by mid, a channel's id in the high 32 bits of mid",
        ),
    )
    references = (
        "DrKLO/Telegram: MessagesStorage.java (CREATE TABLE messages_v2, users, chats, dialogs, "
        "user_contacts_v7, user_phones_v7), MessageObject.getUnreadFlags (read_state)",
        "DrKLO/Telegram: TLRPC.java and tl/legacy/TL_legacy_message.java (TL_message_layerNNN field order)",
        "core.telegram.org/schema (message, messageService, messageFwdHeader, messageReplyHeader, user)",
        "ALEAPP telegramAndroid module (service-message layouts and action ids of old layers)",
    )
    limitations = (
        "Text, sender, chat, forward origin, reply target, and the kind of media are decoded for message "
        "layouts of API layers 68 to 227 and the old and secret-chat layouts; photos, documents, voice "
        "notes, web previews, polls and stickers are listed as an attachment of their kind, not decoded "
        "(no file name, size or local path); locations, venues and shared contacts are decoded. A blob "
        "in an unknown layout, or one whose reply quotes media, gives a message with "
        "the table's columns (time, dialog, direction, state) and no text, plus a warning naming what "
        "was not decoded; nothing is guessed. Forwards and replies are written before the text as "
        "'[Forwarded from …]' and '[Reply to message …]'. Captions of media in pre-2017 layers, message "
        "entities (bold, links), reactions, edits and view counts are not read. users.data is decoded "
        "for user layouts of layers 44 to 227 (names, username, phone); other users keep the lower-cased "
        "name of users.name. chats.data, dialogs (folders, unread counts), secret-chat keys, scheduled "
        "messages, topics, media files in the cache folders and the owner's record in shared_prefs are "
        "not read. Calls come from call service messages only. Messages the user deleted are not in "
        "the tables and are not recovered. Telegram X (a TDLib database) and forks under other package "
        "names are not read."
    )

    def parse(self, source: Source) -> Iterator[Artefact]:
        table = (
            "messages_v2" if source.schema is not None and source.schema.name == "messages_v2" else "messages"
        )
        people = self._people(source)
        chats = {
            int(r["uid"]): r["name"]
            for r in source.rows("SELECT uid, name FROM chats WHERE typeof(uid) = 'integer'")
            if r["name"]
        }
        owner = self._owner(source, table, people)
        reader = _Messages(source, table, people, chats, owner)
        if owner is not None:
            yield reader.account()
        yield from self._contacts(source, people, owner)
        yield from self._phone_book(source)
        yield from reader.rows()

    def _people(self, source: Source) -> dict[int, Person]:
        people: dict[int, Person] = {}
        # users.uid is the INTEGER PRIMARY KEY: always an integer, and the rowid of the locator
        for row in source.rows("SELECT uid, name, data FROM users ORDER BY uid"):
            uid = int(row["uid"])
            search, _, username = partition_text(row["name"] or "", ";;;")
            user = None
            if row["data"]:
                user = decode_user(bytes(row["data"]))
                problem = user.problem
                if problem is None and user.id != uid:
                    problem = (
                        f"the decoded id {user.id} differs from users.uid {uid}: the {user.name} layout does "
                        "not fit this blob"
                    )
                if problem is not None:
                    source.warn(
                        f"users row uid={uid}: {problem}; names come from users.name only",
                        Locator(table="users", rowid=uid),
                    )
                    user = None
            people[uid] = Person(uid, strip_text(search) or None, strip_text(username) or None, user)
        return people

    def _owner(self, source: Source, table: str, people: dict[int, Person]) -> int | None:
        """The account's own user id: the user marked "self", else the sender of its outgoing messages."""
        for person in people.values():
            if person.user is not None and person.user.is_self:
                return person.uid
        senders: Counter[int] = Counter()
        newest = f"SELECT rowid FROM {table} WHERE out = 1 AND data IS NOT NULL ORDER BY date DESC LIMIT ?"
        sql = f"SELECT data FROM {table} WHERE rowid IN ({newest})"  # sort the ids, not the blobs
        for row in source.rows(sql, (OWNER_SAMPLE,)):
            decoded = decode_message(bytes(row["data"]))
            if decoded.sender is not None and decoded.sender[0] == "user":
                senders[decoded.sender[1]] += 1
        return senders.most_common(1)[0][0] if senders else None

    def _contacts(self, source: Source, people: dict[int, Person], owner: int | None) -> Iterator[Contact]:
        saved: dict[int, bool] = {}
        if source.has_table("contacts") and source.has_column("contacts", "uid"):
            mutual = col(source, "contacts", "mutual", default="0")
            for row in source.rows(
                f"SELECT uid, {mutual} AS mutual FROM contacts WHERE typeof(uid) = 'integer'"
            ):
                saved[int(row["uid"])] = bool(row["mutual"])
        for person in people.values():
            if person.uid == owner:
                continue
            notes = []
            if person.uid in saved:
                notes.append("in the owner's Telegram contacts" + (" (mutual)" if saved[person.uid] else ""))
            else:
                notes.append("seen in the owner's chats or groups, not a saved contact")
            if person.user is not None:
                notes += [
                    w for w, on in (("bot", person.user.bot), ("deleted account", person.user.deleted)) if on
                ]
            phone = person.phone
            yield Contact(
                locator=Locator(table="users", rowid=person.uid),
                app=APP,
                account=None if owner is None else str(owner),
                name=person.display_name,
                phones=(Phone(number=phone),) if phone else (),
                handles=(Handle(app=APP, user_id=str(person.uid), username=person.username),),
                notes="; ".join(notes),
            )

    def _phone_book(self, source: Source) -> Iterator[Contact]:
        """The device's address book as Telegram cached it to find which numbers use Telegram."""
        if not (source.has_table("user_contacts_v7") and source.has_column("user_contacts_v7", "key")):
            return
        phones: dict[str, list[Phone]] = {}
        if source.has_table("user_phones_v7"):
            deleted = col(source, "user_phones_v7", "deleted", default="0")
            for row in source.rows(
                f"SELECT key, phone, {deleted} AS deleted FROM user_phones_v7 ORDER BY rowid"
            ):
                if row["phone"]:
                    label = "deleted from the phone book" if row["deleted"] else None
                    phones.setdefault(str(row["key"]), []).append(
                        Phone(number=as_text(row["phone"]), label=label)
                    )
        columns = optional_columns(source, "user_contacts_v7", ("fname", "sname", "imported"))
        for row in source.rows(f"SELECT rowid AS rid, key, {columns} FROM user_contacts_v7 ORDER BY rowid"):
            parts = [strip_text(as_text(p)) for p in (row["fname"], row["sname"]) if p]
            name = join_text(" ", [p for p in parts if p])
            yield Contact(
                locator=Locator(table="user_contacts_v7", rowid=row["rid"]),
                app=APP,
                account="phone book cache",
                name=name or None,
                phones=tuple(phones.get(str(row["key"]), ())),
                notes="the device's address book as cached by Telegram (user_contacts_v7)"
                + ("; imported to Telegram" if row["imported"] else ""),
            )


class _Messages:
    """The message rows of one file, with the people and chats they name."""

    def __init__(
        self, source: Source, table: str, people: dict[int, Person], chats: dict[int, str], owner: int | None
    ) -> None:
        self.source = source
        self.table = table
        self.people = people
        self.chats = chats
        self.owner = owner
        self.account_id = None if owner is None else str(owner)
        self.secret_chats: dict[int, int] = {}  # secret chat id -> the other user
        if source.has_table("enc_chats") and source.has_column("enc_chats", "user"):
            for row in source.rows(
                "SELECT uid, user FROM enc_chats WHERE typeof(uid) = 'integer' AND typeof(user) = 'integer'"
            ):
                self.secret_chats[int(row["uid"])] = int(row["user"])

    def account(self) -> Account:
        assert self.owner is not None
        person = self.people.get(self.owner)
        return Account(
            locator=Locator(table="users", rowid=self.owner) if person else Locator(table=self.table),
            app=APP,
            user_id=str(self.owner),
            phone=person.phone if person else None,
            username=person.username if person else None,
            display_name=person.display_name if person else None,
        )

    def name_of(self, peer: Peer) -> str:
        kind, ident = peer
        if kind == "user":
            person = self.people.get(ident)
            shown = person.display_name if person else None
            return concat(shown, " (", ident, ")") if shown else str(ident)
        title = self.chats.get(ident)
        return concat(title, " (", ident, ")") if title else str(ident)

    def rows(self) -> Iterator[Artefact]:
        state = optional_columns(self.source, self.table, ("read_state", "send_state"))
        sql = f"SELECT rowid AS rid, mid, uid, date, out, data, {state} FROM {self.table} ORDER BY rowid"
        for row in self.source.rows(sql):
            yield from self._row(row)

    def _row(self, row: sqlite3.Row) -> Iterator[Artefact]:
        locator = Locator(table=self.table, rowid=row["rid"])
        decoded = self._decode(row, locator)
        uid = row["uid"] if isinstance(row["uid"], int) else None
        out = bool(row["out"])
        other = self._other_user(uid)  # the other person of a private or secret chat
        sender: Peer | None = None
        if not out:
            if decoded is not None and decoded.name.startswith("message_secret") and other is not None:
                sender = ("user", other)  # the client writes a secret message's sender id cut to 32 bits
            elif decoded is not None and decoded.sender is not None:
                sender = decoded.sender
            elif decoded is not None and decoded.peer is not None and decoded.peer[0] == "channel":
                sender = decoded.peer  # a channel post: the channel speaks
            elif other is not None:
                sender = ("user", other)
        person = self.people.get(sender[1]) if sender is not None and sender[0] == "user" else None
        recipient = self.people.get(other) if out and other is not None else None
        body, attachments, status = self._content(decoded, row, out)
        yield Message(
            locator=locator,
            app=APP,
            account=self.account_id,
            thread_id=None if row["uid"] is None else str(row["uid"]),
            thread_name=self._thread_name(uid),
            sender=None if sender is None else str(sender[1]),
            sender_name=None if sender is None else self._shown_name(sender),
            sender_phone=person.phone if person else None,
            sender_user_id=None if sender is None else str(sender[1]),
            recipients=(str(other),) if out and other is not None else (),
            recipient_phones=(recipient.phone,) if recipient is not None and recipient.phone else (),
            direction=Direction.OUTGOING if out else Direction.INCOMING,
            status=status,
            sent_at=unix_s(row["date"]),
            sent_at_raw=row["date"],
            body=body,
            attachments=attachments,
        )
        if (
            decoded is not None
            and decoded.action is not None
            and decoded.action.name == "messageActionPhoneCall"
        ):
            yield self._call(decoded, row, locator, out, other)

    def _secret_chat(self, uid: int) -> int | None:
        """The secret chat id a dialog id stands for, or None when it is not a secret chat."""
        if self.table == "messages_v2":  # DialogObject.makeEncryptedDialogId: bit 62 set
            return uid & 0xFFFFFFFF if uid > 0 and uid & (1 << 62) else None
        return uid >> 32 if uid > 0 and uid & 0xFFFFFFFF == 0 else None  # before 8.x: the id << 32

    def _other_user(self, uid: int | None) -> int | None:
        if uid is None or uid <= 0:
            return None
        secret = self._secret_chat(uid)
        return uid if secret is None else self.secret_chats.get(secret)

    def _decode(self, row: sqlite3.Row, locator: Locator) -> DecodedMessage | None:
        where = f"{self.table} row mid={row['mid']} uid={row['uid']}"
        kept = "the message is kept with the table's columns (dialog, time, direction, state) and no text"
        blob = row["data"]
        if not isinstance(blob, bytes) or not blob:
            self.source.warn(f"{where}: no TL blob in data; {kept}", locator)
            return None
        decoded = decode_message(blob)
        mid = row["mid"]
        expected = mid if self.table == "messages_v2" or not isinstance(mid, int) else _int32(mid)
        if decoded.problem is None:
            date_differs = decoded.kind != "empty" and decoded.date != row["date"]  # an empty one has no date
            if date_differs or (decoded.id is not None and decoded.id != expected):
                decoded.problem = (
                    f"the decoded id {decoded.id} and date {decoded.date} do not match the row's mid "
                    f"{row['mid']} and date {row['date']}: the {decoded.name} layout ({decoded.label}) "
                    "does not fit this blob, so nothing from it is used"
                )
                self.source.warn(f"{where}: {decoded.problem}; {kept}", locator)
                return None
            for note in decoded.notes:
                self.source.warn(f"{where}: {note}", locator)
            return decoded
        self.source.warn(f"{where}: {decoded.problem}; {kept}", locator)
        decoded.text, decoded.media, decoded.action = None, None, None
        return decoded

    def _content(
        self, decoded: DecodedMessage | None, row: sqlite3.Row, out: bool
    ) -> tuple[str | None, tuple[Attachment, ...], str]:
        send_state = row["send_state"] if isinstance(row["send_state"], int) else 0
        read = isinstance(row["read_state"], int) and row["read_state"] & 1
        status = SEND_STATES.get(send_state) or (
            ("read" if read else "sent") if out else ("read" if read else "unread")
        )
        if decoded is None or decoded.problem is not None:
            return None, (), status
        if decoded.kind == "empty":
            return None, (), "empty (deleted or unavailable on the server)"
        lines: list[str] = []
        if decoded.forward is not None:
            fwd = decoded.forward
            origin = self.name_of(fwd.origin) if fwd.origin else fwd.origin_name
            when = unix_s(fwd.date)
            parts = [
                concat("from ", origin) if origin else "",
                f"originally sent {iso_utc(when)}" if when else "",
            ]
            lines.append(concat("[Forwarded ", join_text(", ", [p for p in parts if p]), "]"))
        pinned = decoded.action is not None and decoded.action.name == "messageActionPinMessage"
        if decoded.reply_to is not None and not pinned:  # a pin's reply_to is the pinned message
            lines.append(f"[Reply to message {decoded.reply_to}]")
        if decoded.reply_to_story is not None:
            lines.append(f"[Reply to story {decoded.reply_to_story}]")
        if decoded.kind == "service":
            status = "service message"
            if decoded.action is not None:
                words = describe_action(decoded.action, self.name_of)
                lines.append(
                    concat(words, ": message ", decoded.reply_to) if pinned and decoded.reply_to else words
                )
        elif decoded.text:
            lines.append(decoded.text)
        attachments = (Attachment(name=describe_media(decoded.media)),) if decoded.media is not None else ()
        return (join_text("\n", lines) or None), attachments, status

    def _thread_name(self, uid: int | None) -> str | None:
        if uid is None:
            return None
        if uid < 0:
            return self.chats.get(-uid)
        other = self._other_user(uid)
        person = self.people.get(other) if other is not None else None
        shown = person.display_name if person else None
        if self._secret_chat(uid) is not None:
            return concat("secret chat with ", shown or other or "an unknown user")
        return shown

    def _shown_name(self, peer: Peer) -> str | None:
        kind, ident = peer
        if kind == "user":
            person = self.people.get(ident)
            return person.display_name if person else None
        return self.chats.get(ident)

    def _call(
        self, decoded: DecodedMessage, row: sqlite3.Row, locator: Locator, out: bool, other: int | None
    ) -> Call:
        assert decoded.action is not None
        action = decoded.action
        duration = action.get("duration")
        reason = action.get("reason")
        reason_word = reason.label if isinstance(reason, TLObject) and reason.known else None
        status: str | None
        if isinstance(duration, int) and duration > 0:
            status = "answered"
        elif reason_word == "missed":
            status = "not answered" if out else "missed"
        else:
            status = reason_word
        person = self.people.get(other) if other is not None else None
        shown = person.display_name if person else None
        who = f"Telegram user {other}" if other is not None else "Telegram user"
        return Call(
            locator=locator,
            app=APP,
            number=person.phone if person else None,
            name=concat(shown, " (", who, ")") if shown else who,
            direction=Direction.OUTGOING if out else Direction.INCOMING,
            status=status,
            call_type="video" if action.get("video") is True else "voice",
            started_at=unix_s(row["date"]),
            started_at_raw=row["date"],
            duration_s=duration if isinstance(duration, int) else None,
        )


def _int32(value: int) -> int:
    """The low 32 bits as a signed int: an old ``messages.mid`` held a channel's id above them."""
    low = value & 0xFFFFFFFF
    return low - (1 << 32) if low >= 1 << 31 else low
