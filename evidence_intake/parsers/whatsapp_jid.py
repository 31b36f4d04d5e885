"""WhatsApp's identifiers, the same on Android and iOS: a JID is ``user@server``.

A phone account's JID is its number in international form without "+" at ``s.whatsapp.net``; a
companion device (WhatsApp Web, a linked tablet) adds ``:device`` to the user part. Groups
(``@g.us``), broadcast lists and privacy ids (``@lid``) carry no number.
"""

from __future__ import annotations


def jid_phone(jid: str | None) -> str | None:
    """The number of a phone JID ("66812345678@s.whatsapp.net" → "+66812345678"); None otherwise."""
    if not jid or not jid.endswith("@s.whatsapp.net"):
        return None
    user = jid.split("@", 1)[0].split(":", 1)[0]
    return "+" + user if user.isascii() and user.isdigit() else None


def jid_phone_sql(expr: str) -> str:
    """``jid_phone`` in SQL, for the bulk path."""
    user = f"substr({expr}, 1, instr({expr}, '@') - 1)"
    digits = (
        f"CASE WHEN instr({user}, ':') > 0 THEN substr({user}, 1, instr({user}, ':') - 1) ELSE {user} END"
    )
    return (
        f"(CASE WHEN {expr} LIKE '%@s.whatsapp.net' AND {digits} != '' AND {digits} NOT GLOB '*[^0-9]*' "
        f"THEN '+' || {digits} END)"
    )
