"""What the HTML and PDF custody reports have in common: the rows and cells, in words, for one language.

The renderers only decide how things look; what is said (and that both formats say the same) is here.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from evidence_intake.reports.i18n import Labels
from evidence_intake.reports.model import (
    AcquisitionView,
    CustodyReport,
    EntryView,
    ExhibitSection,
    PhotoView,
)
from evidence_intake.sizes import human

THUMBNAIL_PIXELS = 640
HASH_ORDER = ("md5", "sha1", "sha256", "sha512", "blake2b")


@dataclass(frozen=True, slots=True)
class EntryCells:
    seq: str
    time: list[str]
    exhibit: str
    action: str
    actor: str
    from_to: str
    location: str
    reason: str
    signature: str
    hash_line: str
    problems: list[str]
    bad: bool


def case_pairs(report: CustodyReport, t: Labels) -> list[tuple[str, str]]:
    s = report.settings
    return [
        (t("case_number"), s.case_number),
        (t("case_title"), s.title),
        (t("agency"), s.agency or ""),
        (t("examiner"), s.examiner),
        (t("time_zone"), s.timezone),
        (t("scope"), t("scope_one", exhibit=report.scope) if report.scope else t("scope_all")),
        (t("generated"), t.time_inline(report.generated_at, s.timezone)),
        (t("generated_by"), report.generated_by),
        (t("software"), report.software),
    ]


def exhibit_pairs(section: ExhibitSection, t: Labels, zone: str) -> list[tuple[str, str]]:
    e = section.exhibit
    make_model = " ".join(p for p in (e.make, e.model) if p)
    condition = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in e.condition.items())
    pairs = [
        (t("exhibit"), e.exhibit_id),
        (t("kind"), t.kind(e.kind)),
        (t("description"), e.description),
        (t("make_model"), make_model),
        (t("serial"), e.serial_number or ""),
        (t("imei"), ", ".join(e.imeis)),
        (t("phone"), e.phone_number or ""),
        (t("seal"), e.seal_number or ""),
        (
            t("seized_at"),
            (t.time_inline(e.seized_at, zone) + (f" ({e.seized_at_raw})" if e.seized_at_raw else ""))
            if e.seized_at
            else "",
        ),
        (t("seized_from"), e.seized_from or ""),
        (
            t("location"),
            (e.location or "")
            + (
                f" ({e.latitude:.6f}, {e.longitude:.6f})"
                if e.latitude is not None and e.longitude is not None
                else ""
            ),
        ),
        (t("condition"), condition),
        (t("notes"), e.notes or ""),
        (t("registered"), f"{t.time_inline(e.registered_at, zone)} · {e.registered_by}"),
    ]
    return [(k, v) for k, v in pairs if v]


def sorted_hashes(hashes: dict[str, str]) -> list[tuple[str, str]]:
    rank = {name: i for i, name in enumerate(HASH_ORDER)}
    return sorted(hashes.items(), key=lambda kv: (rank.get(kv[0], 99), kv[0]))


def acquisition_pairs(view: AcquisitionView, t: Labels, zone: str) -> list[tuple[str, str]]:
    a = view.acquisition
    size = f"{a.size:,} {t('bytes')} ({human(a.size)})" if a.size is not None else ""
    pairs = [
        (t("acquisition"), a.id),
        (t("status"), a.status + (f": {a.message}" if a.message else "")),
        (t("format"), f"{a.kind} / {a.format}"),
        (t("source"), a.source),
        (t("size"), size),
        (t("examiner"), a.examiner),
        (t("started"), t.time_inline(a.started_at, zone)),
        (t("completed"), t.time_inline(a.completed_at, zone) if a.completed_at else ""),
    ]
    return [(k, v) for k, v in pairs if v]


def verification_lines(view: AcquisitionView, t: Labels, zone: str) -> list[str]:
    lines = []
    if not view.register_matches_ledger:
        lines.append(t("ledger_mismatch"))
    for v in view.verifications:
        text = f"#{v.seq} {t.time_inline(v.when, zone)} · {v.actor} · {v.status}"
        if v.problems:
            text += ": " + "; ".join(v.problems)
        lines.append(text)
    if not view.verifications:
        lines.append(t("no_verifications"))
    return lines


def signature_text(view: EntryView, t: Labels) -> str:
    e = view.entry
    if view.signature == "problem":
        return t("sig_problem")
    if view.signature == "unsigned":
        return t("sig_unsigned")
    who = f"\n{view.signer}" if view.signer and view.signer != e.actor else ""
    return f"{t('sig_valid')}\n{e.key_id}{who}"


def entry_cells(view: EntryView, t: Labels, zone: str) -> EntryCells:
    e = view.entry
    parties = " → ".join(p for p in (e.from_party or "", e.to_party or "") if p)
    return EntryCells(
        seq=str(e.seq),
        time=t.times(view.when, zone)
        + ([f"{t('occurred')}:", *t.times(view.occurred, zone)] if view.occurred is not None else []),
        exhibit=e.exhibit or "",
        action=t.action(e.action),
        actor=e.actor,
        from_to=parties,
        location=e.location or "",
        reason=e.reason or "",
        signature=signature_text(view, t),
        hash_line=f"{t('entry_hash')} {e.entry_hash}",
        problems=list(view.problems),
        bad=view.signature == "problem",
    )


def thumbnail(data: bytes) -> bytes | None:
    """A JPEG of at most THUMBNAIL_PIXELS on its long side, or None when the bytes are no readable image."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
            out = io.BytesIO()
            image.convert("RGB").save(out, format="JPEG", quality=80)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def head_text(report: CustodyReport) -> str:
    return f"{report.head.tree_size}:{report.head.root_hash}"


def photo_thumbnail(view: PhotoView) -> bytes | None:
    """The photograph as a thumbnail, only when the file's bytes are exactly those recorded."""
    if view.status != "verified":
        return None
    try:
        data = view.photo.path.read_bytes()
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != view.photo.sha256:
        return None
    return thumbnail(data)
