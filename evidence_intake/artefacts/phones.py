"""Phone numbers to E.164, the form that lets the same person be found across seized devices.

A number is accepted only when ``phonenumbers`` finds it *valid* for its country: "5404561685" read
with region TH would be a possible but meaningless +665404561685, so it stays un-normalised (the raw
text is always kept) rather than be joined to the wrong person. Sender ids such as "AIS" or "*123#"
are not numbers and give None.

Phones repeat a lot (a million SMS come from a few thousand numbers), so results are cached per
region; the cache makes normalisation cheap enough to run on every row of a bulk extraction.
"""

from __future__ import annotations

from functools import lru_cache

_MAX_RAW = 64  # longer text is not a phone number; do not hand it to the parser


@lru_cache(maxsize=262_144)
def to_e164(raw: str | None, region: str | None) -> str | None:
    """E.164 form of ``raw`` read with ``region`` (ISO 3166, "TH") when it has no country code."""
    if raw is None or not isinstance(raw, str):
        return None
    text = raw.strip()
    if not text or len(text) > _MAX_RAW or not any(ch.isdigit() for ch in text):
        return None
    import phonenumbers  # about 35 ms: loaded by the first number, not by every reader of the store

    try:
        number = phonenumbers.parse(text, (region or "ZZ").upper())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
