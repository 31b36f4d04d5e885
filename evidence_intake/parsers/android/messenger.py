"""Facebook Messenger for Android (``com.facebook.orca``): ``threads_db2``.

``messages`` rows hold the text, the sender as JSON (``{"user_key": "FACEBOOK:1000…", "name": …}``),
``timestamp_ms`` (Unix ms) and attachments as JSON; ``threads`` the group names; ``thread_users``
the people (names, usernames). Calls are "admin messages" whose
``generic_admin_message_extensible_data`` JSON has the call's details.

Who the phone's owner is: a 1:1 thread key is ``ONE_TO_ONE:<other user id>:<owner's user id>``, so
the last id of the 1:1 threads (in ``threads``) is the owner. When the threads name more than one such id (two
accounts) or none, the direction of messages is left unknown rather than guessed.

The typed path is used throughout: senders and attachments are JSON that needs Python to read
safely (a malformed value must spoil one row's field, not the whole query), and ``threads_db2``
holds thousands of rows, not millions.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

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
)
from evidence_intake.artefacts.text import as_text, join_text, json_loads
from evidence_intake.parsers.base import Parser
from evidence_intake.parsers.schema import Schema
from evidence_intake.parsers.source import Source
from evidence_intake.parsers.sql import optional_columns
from evidence_intake.parsers.times import unix_ms

APP = "Messenger"
USER_PREFIX = "FACEBOOK:"
ONE_TO_ONE = "ONE_TO_ONE:"


def loads(value: object, invalid: Callable[[], None] | None = None) -> Any:
    """JSON from a text column, or None when it is empty or not JSON (then ``invalid`` is called)."""
    if not isinstance(value, str | bytes) or not value:
        return None
    try:
        return json_loads(value) if isinstance(value, str) else json.loads(value)
    except (ValueError, UnicodeDecodeError):
        if invalid is not None:
            invalid()
        return None


def user_id(user_key: str | None) -> str | None:
    """The numeric id of a ``FACEBOOK:<id>`` user key (other key types are kept whole)."""
    if not user_key:
        return None
    return user_key[len(USER_PREFIX) :] if user_key.startswith(USER_PREFIX) else user_key


def one_to_one(thread_key: str | None) -> tuple[str, str] | None:
    """(other user id, owner's user id) of a 1:1 thread key, else None."""
    if not thread_key or not thread_key.startswith(ONE_TO_ONE):
        return None
    parts = thread_key[len(ONE_TO_ONE) :].split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    return parts[0], parts[1]


@dataclass(frozen=True, slots=True)
class User:
    """A ``thread_users`` row: the person's name (or first and last name) and username."""

    rowid: int
    user_key: str | None
    name: str | None
    username: str | None


def attachments_of(value: object, invalid: Callable[[], None] | None = None) -> tuple[Attachment, ...]:
    items = loads(value, invalid)
    if not isinstance(items, list):
        return ()
    out: list[Attachment] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        size = item.get("file_size")
        out.append(
            Attachment(
                name=item.get("filename") if isinstance(item.get("filename"), str) else None,
                mime_type=item.get("mime_type") if isinstance(item.get("mime_type"), str) else None,
                size=size if isinstance(size, int) and not isinstance(size, bool) else None,
            )
        )
    return tuple(out)


class MessengerParser(Parser):
    name = "android.messenger"
    version = "1.2"
    title = "Facebook Messenger for Android (threads_db2): messages, calls, people, owner"
    kinds = (Message, Call, Contact, Account)
    globs = ("**/com.facebook.orca/databases/threads_db2",)
    schemas = (
        Schema(
            "threads_db2",
            {
                "messages": {"msg_id", "thread_key", "text", "sender", "timestamp_ms"},
                "threads": {"thread_key"},
            },
        ),
    )
    references = (
        "ALEAPP FacebookMessenger.py (threads_db2: messages.sender JSON user_key/name, timestamp_ms, "
        "attachments filename, admin messages with generic_admin_message_extensible_data call_duration, "
        "caller_id, video)",
        "Autopsy fbmessenger.py; Messenger ThreadKey ONE_TO_ONE:<other>:<viewer>",
    )
    limitations = (
        "Newer Messenger versions keep chats in msys_database_* (end-to-end encrypted chats are not in "
        "threads_db2 at all): those are not read. Shares (links), stickers, reactions and the attachments' "
        "URLs are not decoded; attachment files are not copied. The owner is found from the 1:1 thread "
        "keys; with none (or several) the direction stays unknown. A call's time is the time of its call "
        "message, which Messenger writes when the call ends."
    )

    def parse(self, source: Source) -> Iterator[Artefact]:
        people = self._thread_users(source)
        users = {str(u.user_key): (u.name, u.username) for u in people}
        threads = self._threads(source)
        owner = self._owner(source)
        if owner is not None:
            name, username = users.get(USER_PREFIX + owner, (None, None))
            yield Account(
                locator=self._user_locator(people, USER_PREFIX + owner),
                app=APP,
                user_id=owner,
                username=username,
                display_name=name,
            )
        yield from self._contacts(people, owner)
        yield from self._messages(source, owner, users, threads)

    @staticmethod
    def _thread_users(source: Source) -> list[User]:
        """``thread_users`` in rowid order, read once: it names senders and callers, the owner and
        the contacts."""
        if not source.has_column("thread_users", "user_key"):
            return []
        cols = optional_columns(source, "thread_users", ("name", "first_name", "last_name", "username"))
        out: list[User] = []
        for row in source.rows(f"SELECT rowid AS rid, user_key, {cols} FROM thread_users ORDER BY rowid"):
            full = join_text(" ", [p for p in (row["first_name"], row["last_name"]) if p]) or None
            out.append(User(row["rid"], row["user_key"], row["name"] or full, row["username"] or None))
        return out

    def _threads(self, source: Source) -> dict[str, str]:
        if not source.has_column("threads", "name"):
            return {}
        return {
            str(r["thread_key"]): as_text(r["name"])
            for r in source.rows("SELECT thread_key, name FROM threads WHERE name IS NOT NULL AND name != ''")
        }

    @staticmethod
    def _owner(source: Source) -> str | None:
        owners: set[str] = set()
        # From threads only: it is small, whereas scanning messages would stop at the first damaged
        # page before a single message is read.
        for row in source.rows("SELECT thread_key FROM threads WHERE thread_key LIKE 'ONE_TO_ONE:%'"):
            pair = one_to_one(row["thread_key"])
            if pair is not None:
                owners.add(pair[1])
        return owners.pop() if len(owners) == 1 else None

    @staticmethod
    def _user_locator(people: list[User], user_key: str) -> Locator:
        for user in people:
            if user.user_key == user_key:
                return Locator(table="thread_users", rowid=user.rowid)
        return Locator(table="threads")

    @staticmethod
    def _contacts(people: list[User], owner: str | None) -> Iterator[Contact]:
        for user in people:
            uid = user_id(user.user_key)
            if uid is None or uid == owner:
                continue
            yield Contact(
                locator=Locator(table="thread_users", rowid=user.rowid),
                app=APP,
                name=user.name,
                handles=(Handle(app=APP, user_id=uid, username=user.username),),
            )

    def _messages(
        self,
        source: Source,
        owner: str | None,
        users: dict[str, tuple[str | None, str | None]],
        threads: dict[str, str],
    ) -> Iterator[Artefact]:
        cols = optional_columns(
            source,
            "messages",
            (
                "attachments",
                "msg_type",
                "send_error",
                "generic_admin_message_extensible_data",
            ),
        )
        sql = f"SELECT rowid AS rid, thread_key, text, sender, timestamp_ms, {cols} FROM messages "
        sql += "ORDER BY rowid"
        for row in source.rows(sql):
            locator = Locator(table="messages", rowid=row["rid"])

            def invalid(column: str, locator: Locator = locator) -> Callable[[], None]:
                return lambda: source.warn(
                    f"messages.{column} is not valid JSON: that part of the message is not decoded "
                    "(the stored text is in the database)",
                    locator,
                )

            admin = loads(
                row["generic_admin_message_extensible_data"], invalid("generic_admin_message_extensible_data")
            )
            if isinstance(admin, dict) and ("call_duration" in admin or "caller_id" in admin):
                yield self._call(row, admin, owner, users)
            else:
                yield self._message(row, owner, users, threads, admin is not None, invalid)

    @staticmethod
    def _direction(sender_key: str | None, owner: str | None) -> Direction:
        """Outgoing when the user key is the owner's, incoming when another's; unknown without either."""
        if owner is None or sender_key is None:
            return Direction.UNKNOWN
        return Direction.OUTGOING if user_id(sender_key) == owner else Direction.INCOMING

    def _message(
        self,
        row: sqlite3.Row,
        owner: str | None,
        users: dict[str, tuple[str | None, str | None]],
        threads: dict[str, str],
        admin: bool,
        invalid: Callable[[str], Callable[[], None]],
    ) -> Message:
        sender = loads(row["sender"], invalid("sender"))
        sender = sender if isinstance(sender, dict) else {}
        key = sender.get("user_key") if isinstance(sender.get("user_key"), str) else None
        direction = self._direction(key, owner)
        thread = row["thread_key"]
        pair = one_to_one(thread)
        recipients: tuple[str, ...] = ()
        if direction == Direction.OUTGOING:
            recipients = (USER_PREFIX + pair[0],) if pair else ((thread,) if thread else ())
        name = sender.get("name") if isinstance(sender.get("name"), str) else None
        status = None
        if admin:
            status = "admin message"
        elif row["send_error"]:
            status = "failed"
        elif row["msg_type"] not in (None, 0):
            status = f"msg_type {row['msg_type']}"
        incoming = direction != Direction.OUTGOING
        raw_sender = key if key is not None else (row["sender"] if row["sender"] and not sender else None)
        return Message(
            locator=Locator(table="messages", rowid=row["rid"]),
            app=APP,
            account=owner,
            thread_id=thread,
            thread_name=threads.get(str(thread)),
            sender=raw_sender if incoming else None,
            sender_name=(name or users.get(key or "", (None, None))[0]) if incoming else None,
            sender_user_id=user_id(key) if incoming else None,
            recipients=recipients,
            direction=direction,
            status=status,
            sent_at=unix_ms(row["timestamp_ms"]),
            sent_at_raw=row["timestamp_ms"],
            body=row["text"],
            attachments=attachments_of(row["attachments"], invalid("attachments")),
        )

    def _call(
        self,
        row: sqlite3.Row,
        admin: dict[str, Any],
        owner: str | None,
        users: dict[str, tuple[str | None, str | None]],
    ) -> Call:
        caller = admin.get("caller_id")
        caller = str(caller) if isinstance(caller, str | int) and not isinstance(caller, bool) else None
        pair = one_to_one(row["thread_key"])
        direction = self._direction(None if caller is None else USER_PREFIX + caller, owner)
        other = pair[0] if pair else (caller if direction == Direction.INCOMING else None)
        duration = admin.get("call_duration")
        video = admin.get("video")
        return Call(
            locator=Locator(table="messages", rowid=row["rid"]),
            app=APP,
            number=other or row["thread_key"],
            name=users.get(USER_PREFIX + other, (None, None))[0] if other else None,
            direction=direction,
            call_type=("video" if video else "voice") if isinstance(video, bool) else None,
            started_at=unix_ms(row["timestamp_ms"]),
            started_at_raw=row["timestamp_ms"],
            duration_s=duration if isinstance(duration, int) and not isinstance(duration, bool) else None,
            duration_raw=duration
            if isinstance(duration, int | float | str) and not isinstance(duration, bool)
            else None,
        )
