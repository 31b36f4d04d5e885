"""Canonical JSON in the manner of RFC 8785 (JSON Canonicalization Scheme, JCS).

Entry hashes and checkpoint signatures are computed over these bytes, so anybody can re-verify a ledger
with another language's JCS library. The rules, exactly:

* objects: members sorted by their names compared as sequences of UTF-16 code units (not code points:
  "😂" (D83D DE02) sorts before "דּ" (FB33)); names must be strings; no whitespace anywhere;
* strings: ``"`` and ``\\`` escaped, the controls U+0008 U+0009 U+000A U+000C U+000D as
  ``\\b \\t \\n \\f \\r``, every other control below U+0020 as ``\\u00xx`` with lowercase hex,
  everything else (DEL, non-ASCII, Thai, Chinese, emoji) written literally; a string holding a surrogate
  code point (a lone half of a UTF-16 pair, which cannot be encoded in UTF-8) is refused;
* numbers: ECMAScript ``Number.prototype.toString`` form (shortest digits that read back to the same
  double; ``1e+21``, ``0.000001``, ``1e-7``; ``-0`` becomes ``0``); NaN and infinities are refused.
  Python integers are written in decimal; beyond ±(2**53 − 1) only those a double holds exactly in the
  same digits are accepted (others, such as most 64-bit message ids, must be stored as strings);
* ``true``, ``false``, ``null``; lists and tuples become arrays;
* the result is a ``str``; hash or sign its UTF-8 encoding.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from .errors import CanonicalEncodingError

MAX_SAFE_INTEGER = 2**53 - 1
MAX_DEPTH = 64

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
for _code in range(0x20):
    _ESCAPES.setdefault(chr(_code), f"\\u{_code:04x}")
_NEEDS_ESCAPE = re.compile('["\\\\\x00-\x1f]')
_SURROGATE = re.compile("[\ud800-\udfff]")


def canonical_json(value: Any) -> str:
    """Return the canonical JSON text of ``value`` (see the module docstring for the rules)."""
    parts: list[str] = []
    _encode(value, parts, "value", 0)
    return "".join(parts)


def canonical_string(text: str, where: str = "value") -> str:
    """The canonical JSON form of one string (with its quotes)."""
    if _SURROGATE.search(text):
        raise CanonicalEncodingError(
            f"{where} holds a lone UTF-16 surrogate (a broken character) that cannot be written as UTF-8",
            hint="decode the source text correctly before recording it",
        )
    return '"' + _NEEDS_ESCAPE.sub(_escape, text) + '"'


def canonical_number(number: float) -> str:
    """ECMAScript's shortest round-trip form of a double (RFC 8785 §3.2.2.3)."""
    if math.isnan(number) or math.isinf(number):
        raise CanonicalEncodingError(f"{number!r} has no JSON form", hint="record it as a string")
    if number == 0:
        return "0"
    sign = "-" if number < 0 else ""
    digits, point = _shortest_digits(abs(number))
    k = len(digits)
    n = point
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    exponent = n - 1
    exp_text = ("+" if exponent >= 0 else "-") + str(abs(exponent))
    if k == 1:
        return sign + digits + "e" + exp_text
    return sign + digits[0] + "." + digits[1:] + "e" + exp_text


def _shortest_digits(number: float) -> tuple[str, int]:
    """Digits ``s`` and position ``n`` with number == 0.s × 10**n, ``s`` the shortest that reads back.

    Python's ``repr`` of a float is the shortest round-trip form chosen closest to the exact value, the
    same choice ECMAScript makes; only its layout differs, so it is re-laid out here.
    """
    text = repr(number)
    exponent = 0
    if "e" in text:
        text, exp_part = text.split("e")
        exponent = int(exp_part)
    if "." in text:
        whole, fraction = text.split(".")
    else:
        whole, fraction = text, ""
    digits = whole + fraction
    point = len(whole)
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    return digits, point + exponent


def _integer(number: int, where: str) -> str:
    """Integers are JSON numbers, i.e. doubles, to every other JCS implementation.

    Within ±(2**53 − 1) every integer is exact. Beyond, an integer is accepted only when its decimal text
    is exactly what ECMAScript prints for the nearest double (as for a double read back from JSON, such as
    44548582361449140); any other would be silently changed by a verifier in another language.
    """
    text = str(number)
    if -MAX_SAFE_INTEGER <= number <= MAX_SAFE_INTEGER:
        return text
    try:
        as_double = canonical_number(float(number))
    except OverflowError:
        as_double = ""
    if as_double != text:
        raise CanonicalEncodingError(
            f"{where} is the integer {text}, which a JSON number (a double) cannot hold exactly",
            hint="record large numbers (64-bit ids, amounts in the smallest unit) as strings",
        )
    return text


def _escape(match: re.Match[str]) -> str:
    return _ESCAPES[match.group()]


def _utf16_key(encoded: tuple[str, str]) -> bytes:
    return encoded[0].encode("utf-16-be")


def _encode(value: Any, parts: list[str], where: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise CanonicalEncodingError(f"{where} is nested more than {MAX_DEPTH} levels deep")
    if value is None:
        parts.append("null")
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif isinstance(value, str):
        parts.append(canonical_string(value, where))
    elif isinstance(value, int):
        parts.append(_integer(int(value), where))
    elif isinstance(value, float):
        parts.append(canonical_number(value))
    elif isinstance(value, Mapping):
        members: list[tuple[str, Any]] = []
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalEncodingError(
                    f"{where} has a key of type {type(key).__name__} ({key!r}); JSON object keys are strings"
                )
            canonical_string(key, f"a key of {where}")
            members.append((key, item))
        members.sort(key=_utf16_key)
        parts.append("{")
        for index, (key, item) in enumerate(members):
            if index:
                parts.append(",")
            parts.append(canonical_string(key))
            parts.append(":")
            _encode(item, parts, f"{where}[{key!r}]", depth + 1)
        parts.append("}")
    elif isinstance(value, list | tuple):
        parts.append("[")
        for index, item in enumerate(value):
            if index:
                parts.append(",")
            _encode(item, parts, f"{where}[{index}]", depth + 1)
        parts.append("]")
    else:
        raise CanonicalEncodingError(
            f"{where} is a {type(value).__name__} ({value!r:.60}), which has no JSON form",
            hint="convert it first: paths and dates to str, bytes to hex, sets to sorted lists",
        )
