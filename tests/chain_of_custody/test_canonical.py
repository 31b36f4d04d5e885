"""Canonical JSON (RFC 8785): known vectors, and properties over arbitrary Unicode and numbers."""

from __future__ import annotations

import json
import math
import random
import struct
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain_of_custody import CanonicalEncodingError, canonical_json, compute_entry_hash
from chain_of_custody.canonical import MAX_SAFE_INTEGER, canonical_number, canonical_string
from chain_of_custody.entry import HASHED_FIELDS, fast_entry_hash

# RFC 8785 Appendix B: IEEE-754 bit patterns and their canonical text.
NUMBER_VECTORS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


def double(hex_bits: str) -> float:
    return float(struct.unpack(">d", bytes.fromhex(hex_bits))[0])


@pytest.mark.parametrize(("bits", "expected"), NUMBER_VECTORS)
def test_rfc8785_number_vectors(bits: str, expected: str) -> None:
    assert canonical_json(double(bits)) == expected


@pytest.mark.parametrize("bits", ["7fffffffffffffff", "7ff0000000000000", "fff0000000000000"])
def test_nan_and_infinity_are_refused(bits: str) -> None:
    with pytest.raises(CanonicalEncodingError, match="no JSON form"):
        canonical_json({"x": double(bits)})


def test_rfc8785_values_example() -> None:
    # RFC 8785 §3.2.2 / the reference implementation's testdata/input/values.json.
    source = r"""{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }"""
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonical_json(json.loads(source)) == expected
    assert (
        canonical_json(json.loads(source))
        .encode("utf-8")
        .hex()
        .startswith("7b226c69746572616c73223a5b6e756c6c")
    )


def test_rfc8785_property_sorting_by_utf16_code_units() -> None:
    # The reference implementation's testdata weird.json: U+1F602 sorts before U+FB33 (surrogates D83D…).
    source = (
        '{"\\u20ac":"Euro Sign","1":"One","\\u0080":"Control\\u007f","\\ud83d\\ude02":"Smiley",'
        '"\\u00f6":"Latin Small Letter O With Diaeresis","\\ufb33":"Hebrew Letter Dalet With Dagesh",'
        '"</script>":"Browser Challenge"}'
    )
    expected = (
        '{"1":"One","</script>":"Browser Challenge","\u0080":"Control\u007f",'
        '"ö":"Latin Small Letter O With Diaeresis","€":"Euro Sign","😂":"Smiley",'
        '"\ufb33":"Hebrew Letter Dalet With Dagesh"}'
    )
    assert canonical_json(json.loads(source)) == expected


def test_rfc8785_arrays_example() -> None:
    assert (
        canonical_json(json.loads('[56, {"d": true, "10": null, "1": [ ]}]'))
        == '[56,{"1":[],"10":null,"d":true}]'
    )


def test_string_escapes() -> None:
    assert canonical_string('a"b\\c') == '"a\\"b\\\\c"'
    assert canonical_string("\b\t\n\f\r") == '"\\b\\t\\n\\f\\r"'
    assert canonical_string("\x00\x1f\x0b") == '"\\u0000\\u001f\\u000b"'
    assert canonical_string("\x7f/é") == '"\x7f/é"'
    assert canonical_string("ผู้ต้องหา 嫌疑人 😂") == '"ผู้ต้องหา 嫌疑人 😂"'


def test_refusals() -> None:
    with pytest.raises(CanonicalEncodingError, match="surrogate"):
        canonical_json("\udc00")
    with pytest.raises(CanonicalEncodingError, match="surrogate"):
        canonical_json({"\ud83d": 1})
    with pytest.raises(CanonicalEncodingError, match="cannot hold exactly"):
        canonical_json(MAX_SAFE_INTEGER + 2)  # 9007199254740993: a double would make it …992
    with pytest.raises(CanonicalEncodingError, match="cannot hold exactly"):
        canonical_json(2**63 - 1)  # a typical 64-bit message id
    with pytest.raises(CanonicalEncodingError, match="cannot hold exactly"):
        canonical_json(10**400)
    assert canonical_json(MAX_SAFE_INTEGER) == "9007199254740991"
    assert canonical_json(-MAX_SAFE_INTEGER) == "-9007199254740991"
    assert canonical_json(2**53) == "9007199254740992"
    assert canonical_json(44548582361449140) == "44548582361449140"  # as a double read back from JSON
    with pytest.raises(CanonicalEncodingError, match="keys are strings"):
        canonical_json({1: "one"})
    with pytest.raises(CanonicalEncodingError, match="set"):
        canonical_json({"tags": {"a", "b"}})
    with pytest.raises(CanonicalEncodingError, match="bytes"):
        canonical_json({"raw": b"\x00"})
    deep: Any = []
    for _ in range(100):
        deep = [deep]
    with pytest.raises(CanonicalEncodingError, match="nested"):
        canonical_json(deep)


def test_the_standard_encoder_writes_every_bmp_character_as_jcs_does() -> None:
    """The verify fast path relies on this: json's C encoder and the canonical encoder agree."""
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for code in range(0x10000):
        if 0xD800 <= code < 0xE000:
            continue
        char = chr(code)
        assert encode(char) == canonical_string(char), hex(code)


def test_numbers_round_trip_and_follow_ecmascript_layout() -> None:
    rng = random.Random(8785)
    for _ in range(20_000):
        x = double(f"{rng.getrandbits(64):016x}")
        if math.isnan(x) or math.isinf(x):
            continue
        text = canonical_number(x)
        assert float(text) == x, (x, text)
        if x != 0 and 1e-6 <= abs(x) < 1e21:
            assert "e" not in text, text
        elif x != 0:
            assert "e" in text, text
        assert not text.endswith(".0") and "+" not in text.split("e")[0]


THAI_CHINESE = st.sampled_from(
    ["ผู้ต้องหา", "嫌疑人", "ร.ต.อ. สมชาย", "王警官", "ငွေ", "+66812345678", "TQ…USDT"]
)
TEXT = THAI_CHINESE | st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=30)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(TEXT, children, max_size=5),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None)
@given(JSON_VALUES)
def test_canonical_json_properties(value: Any) -> None:
    text = canonical_json(value)
    assert canonical_json(value) == text  # deterministic
    assert json.loads(text, parse_int=float) == value  # parseable back to the same value (as doubles)
    parsed = json.loads(text)
    assert canonical_json(parsed) == text  # a fixed point
    text.encode("utf-8")  # always valid UTF-8


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(TEXT, SCALARS, min_size=1, max_size=12), st.randoms())
def test_key_order_does_not_depend_on_insertion_order(mapping: dict[str, Any], rnd: random.Random) -> None:
    items = list(mapping.items())
    rnd.shuffle(items)
    assert canonical_json(dict(items)) == canonical_json(mapping)
    keys = list(json.loads(canonical_json(mapping)))
    assert keys == sorted(keys, key=lambda k: k.encode("utf-16-be"))


ENTRY_TEXT = TEXT.filter(bool)


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {
            "seq": st.integers(min_value=1, max_value=MAX_SAFE_INTEGER),
            "uuid": ENTRY_TEXT,
            "timestamp": ENTRY_TEXT,
            "case_id": ENTRY_TEXT,
            "exhibit": st.none() | ENTRY_TEXT,
            "action": ENTRY_TEXT,
            "actor": ENTRY_TEXT,
            "from_party": st.none() | TEXT,
            "to_party": st.none() | TEXT,
            "location": st.none() | TEXT,
            "reason": st.none() | TEXT,
            "details": st.dictionaries(TEXT, JSON_VALUES, max_size=4),
            "host": TEXT,
            "software": TEXT,
            "prev_hash": TEXT,
            "key_id": st.none() | TEXT,
        }
    )
)
def test_fast_entry_hash_equals_the_canonical_one(fields: dict[str, Any]) -> None:
    fields["v"] = 1
    row = [canonical_json(fields["details"]) if name == "details" else fields[name] for name in HASHED_FIELDS]
    assert fast_entry_hash(*row).hex() == compute_entry_hash(fields)


def test_entry_hash_worked_example() -> None:
    """The example printed in docs/ledger.md: if this changes, the documentation is wrong."""
    fields = {
        "seq": 1,
        "v": 1,
        "uuid": "3f0e8a4c-5b1d-4c1e-9a57-2d7c1f1f6b10",
        "timestamp": "2026-11-28T00:48:13.123456Z",
        "case_id": "TH-2026-0042",
        "exhibit": "EX-001",
        "action": "seized",
        "actor": "ร.ต.อ. สมชาย ใจดี",
        "from_party": None,
        "to_party": None,
        "location": "Building C, KK Park, Myawaddy",
        "reason": None,
        "details": {"seal": "TH-SEAL-00017", "phones": 12, "note": "嫌疑人的手机"},
        "host": "intake-ws-03",
        "software": "evidence-intake 0.1.0",
        "prev_hash": "0" * 64,
        "key_id": None,
    }
    text = canonical_json(fields)
    assert text == (
        '{"action":"seized","actor":"ร.ต.อ. สมชาย ใจดี","case_id":"TH-2026-0042",'
        '"details":{"note":"嫌疑人的手机","phones":12,"seal":"TH-SEAL-00017"},"exhibit":"EX-001",'
        '"from_party":null,"host":"intake-ws-03","key_id":null,"location":"Building C, KK Park, Myawaddy",'
        '"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000","reason":null,'
        '"seq":1,"software":"evidence-intake 0.1.0","timestamp":"2026-11-28T00:48:13.123456Z",'
        '"to_party":null,"uuid":"3f0e8a4c-5b1d-4c1e-9a57-2d7c1f1f6b10","v":1}'
    )
    assert compute_entry_hash(fields) == EXAMPLE_HASH


EXAMPLE_HASH = "298593e2c12e6a9226eb96439476dcfd8a311d8728230aa42c5d245439948ba6"
