"""The typedstream reader on attributedBody blobs: the shapes Messages writes, and blobs it must refuse."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evidence_intake.artefacts.text import LossyText
from evidence_intake.parsers.ios.typedstream import TypedStreamError, attributed_string_text
from samples.encodings import attributed_body

HEADER = b"\x04\x0bstreamtyped\x81\xe8\x03"


def counted(data: bytes) -> bytes:
    if len(data) < 128:
        return bytes([len(data)]) + data
    if len(data) < 32768:
        return b"\x81" + struct.pack("<h", len(data)) + data
    return b"\x82" + struct.pack("<i", len(data)) + data


def archive(text: bytes) -> bytes:
    """A mutable attributed string holding a mutable string: class chains of three, as macOS writes."""
    return (
        HEADER
        + b"\x84\x01@"
        + b"\x84\x84\x84"
        + counted(b"NSMutableAttributedString")
        + b"\x00\x84\x84\x12NSAttributedString\x00\x84\x84\x08NSObject\x00\x85"
        + b"\x92\x84\x84\x84"
        + counted(b"NSMutableString")
        + b"\x01\x84\x84\x08NSString\x01\x95"  # superclass: a reference to NSObject (the 4th entry)
        + b"\x84\x01+"
        + counted(text)
        + b"\x86"
    )


def test_the_sample_generator_shape() -> None:
    assert attributed_string_text(attributed_body("ok")) == "ok"
    text = "New phones Friday. Telegram: @golden_dawn_hr 有事找我 ထိုင်း"
    assert attributed_string_text(attributed_body(text)) == text


@pytest.mark.parametrize("size", [0, 1, 127, 128, 32767, 32768, 70000])
def test_every_length_form(size: int) -> None:
    text = ("ก" * size).encode()[:size].decode("utf-8", errors="ignore")
    assert attributed_string_text(archive(text.encode())) == text


def test_mutable_classes_and_a_superclass_given_by_reference() -> None:
    assert attributed_string_text(archive("โอนเงิน".encode())) == "โอนเงิน"


def test_invalid_utf8_is_lossy_text_with_its_bytes() -> None:
    raw = "โอน".encode() + b"\xff\xfe"
    text = attributed_string_text(archive(raw))
    assert isinstance(text, LossyText) and text == "โอน\ufffd\ufffd" and text.raw == raw


@given(st.text(max_size=300))
def test_round_trip_any_text(text: str) -> None:
    assert attributed_string_text(attributed_body(text)) == text


@pytest.mark.parametrize(
    ("blob", "reason"),
    [
        (b"", "bytes needed but the blob ends"),
        (b"bplist00\xd4\x01\x02", "not a typedstream"),
        (b"\x04\x0btypedstream\x81\xe8\x03", "big-endian"),
        (b"\x04\x0bstreamtyped\x81\xe8\x03\x84\x01i\x05", "does not start with an object"),
        (
            HEADER + b"\x84\x01@\x84\x84\x84\x0cNSDictionary\x00\x84\x84\x08NSObject\x00\x85",
            "not an attributed",
        ),
        (attributed_body("x").replace(b"\x08NSString", b"\x08NSNumber"), "holds a NSNumber, not a string"),
        (archive(b"hello")[:-4], "bytes needed but the blob ends"),
        (HEADER + b"\x84\x01@\x84\x84\x9a", "reference 8 to an entry not seen before"),
    ],
)
def test_other_shapes_are_refused_with_the_place(blob: bytes, reason: str) -> None:
    with pytest.raises(TypedStreamError, match=reason) as info:
        attributed_string_text(blob)
    assert "at byte" in str(info.value)
