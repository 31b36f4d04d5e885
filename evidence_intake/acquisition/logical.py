"""Logical acquisition: a folder, tar or zip (a phone extraction made by another tool), or an iOS backup.

The source is preserved as it arrived: a container file is copied into the case byte for byte
(hashed while copying, the copy hashed again), a folder is copied member by member; or, with
``in_place``, it is only referenced where it lies. Either way a manifest lists every member's
path, size, timestamps and SHA-256, and the copy is checked against it.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evidence_intake.acquisition import records
from evidence_intake.acquisition.hashing import DEFAULT_ALGORITHMS, hash_file
from evidence_intake.acquisition.physical import Result
from evidence_intake.case import Case, safe_name
from evidence_intake.errors import (
    ConflictError,
    InsufficientSpaceError,
    IntegrityError,
    NotFoundError,
    UsageError,
)
from evidence_intake.evidence.model import EvidenceTree
from evidence_intake.progress import Progress

CONTAINER_FORMATS = ("tar", "zip")
TREE_FORMATS = ("folder", "ios-backup")


def detect(path: Path) -> str | None:
    """ "folder", "tar", "zip", "ios-backup", or None when ``path`` is not a logical source."""
    from evidence_intake.evidence.logical_detect import detect_logical

    return detect_logical(path)


def open_tree(path: Path, fmt: str) -> EvidenceTree:
    from evidence_intake.evidence import logical

    if fmt == "folder":
        return logical.FolderTree(path)
    if fmt == "tar":
        return logical.TarTree(path)
    if fmt == "zip":
        return logical.ZipTree(path)
    if fmt == "ios-backup":
        from evidence_intake.evidence.iosbackup import IosBackupTree

        return IosBackupTree(path)
    raise UsageError(f"unknown logical format {fmt!r}")


def _tree_size(root: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(root, followlinks=False):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                continue
    return total


def _copy_file_hashed(
    source: Path, target: Path, algorithms: Sequence[str], progress: Progress
) -> dict[str, str]:
    """Copy a container file into the case, hashing the bytes as they pass."""
    from evidence_intake.acquisition.hashing import BLOCK, MultiHasher

    with MultiHasher(algorithms) as hasher, open(source, "rb", buffering=0) as src, open(target, "xb") as dst:
        while chunk := src.read(BLOCK):
            token = hasher.submit(chunk)
            dst.write(chunk)
            hasher.wait(token)
            progress.advance(len(chunk))
        dst.flush()
        os.fsync(dst.fileno())
        return hasher.hexdigests()


def _copy_link(src: Path, dst: Path) -> None:
    """A link is copied as a link, with its own times (never those of what it points to)."""
    st = os.lstat(src)
    os.symlink(os.readlink(src), dst)
    os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)


def _copy_tree(source: Path, target: Path, progress: Progress) -> list[str]:
    """Copy a folder member by member: links stay links, times are kept, nothing is followed."""
    problems: list[str] = []
    target.mkdir()
    for dirpath, dirnames, filenames in os.walk(source, followlinks=False):
        rel = Path(dirpath).relative_to(source)
        for name in dirnames:
            src = Path(dirpath) / name
            dst = target / rel / name
            if src.is_symlink():
                _copy_link(src, dst)
            else:
                dst.mkdir()
        for name in filenames:
            src = Path(dirpath) / name
            dst = target / rel / name
            try:
                st = os.lstat(src)
                if stat.S_ISLNK(st.st_mode):
                    _copy_link(src, dst)
                elif stat.S_ISREG(st.st_mode):
                    shutil.copy2(src, dst, follow_symlinks=False)
                    progress.advance(st.st_size)
                else:
                    problems.append(f"{rel / name}: not a regular file or link (kept out of the copy)")
            except OSError as exc:
                problems.append(f"{rel / name}: {exc.strerror or exc}")
    for dirpath, dirnames, _files in os.walk(source, topdown=False, followlinks=False):
        for name in dirnames:
            src = Path(dirpath) / name
            if not src.is_symlink():
                st = os.lstat(src)
                os.utime(
                    target / Path(dirpath).relative_to(source) / name, ns=(st.st_atime_ns, st.st_mtime_ns)
                )
    return problems


def acquire_logical(
    case: Case,
    source_path: Path,
    *,
    exhibit: str,
    examiner: str,
    in_place: bool = False,
    algorithms: Sequence[str] = DEFAULT_ALGORITHMS,
    out_dir: Path | None = None,
    progress: Progress | None = None,
) -> Result:
    from evidence_intake.acquisition.manifest import build_manifest, check_manifest, write_manifest

    progress = progress or Progress()
    case.exhibit(exhibit)
    if not source_path.exists():
        raise NotFoundError(f"source {source_path} does not exist", path=source_path)
    fmt = detect(source_path)
    if fmt is None:
        raise UsageError(
            f"{source_path} is not a folder, tar, zip or iOS backup",
            hint="give --format raw or e01 to image a device or file",
        )
    source_path = source_path.resolve()
    folder = (out_dir or case.evidence_dir(exhibit)).expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    is_container = fmt in CONTAINER_FORMATS
    size = source_path.stat().st_size if is_container else _tree_size(source_path)
    if not in_place and shutil.disk_usage(folder).free < size:
        raise InsufficientSpaceError(
            f"not enough free space in {folder}: {size} bytes needed, {shutil.disk_usage(folder).free} free",
            hint="free space, choose another --out, or reference the source where it lies with --in-place",
        )
    stem = safe_name(exhibit)
    n = 1
    while any(p.name.startswith((stem if n == 1 else f"{stem}-{n}") + ".") for p in folder.iterdir()):
        n += 1
    base = folder / (stem if n == 1 else f"{stem}-{n}")
    if in_place:
        preserved = source_path
    elif is_container:
        suffix = "".join(source_path.suffixes[-2:]) if fmt == "tar" else source_path.suffix
        preserved = base.with_name(base.name + (suffix or f".{fmt}"))
    else:
        preserved = base.with_name(base.name + ".files")
    if not in_place and preserved.exists():
        raise ConflictError(f"{preserved} already exists; evidence is never overwritten", path=preserved)
    draft = records.Draft(
        case=case,
        exhibit=exhibit,
        kind="logical",
        format=fmt,
        source=str(source_path),
        source_identity={"kind": fmt, "path": str(source_path), "size": size},
        examiner=examiner,
        options={"in_place": in_place, "algorithms": list(algorithms)},
        base=base,
        size=size,
        paths=[preserved],
        in_place=in_place,
    )
    records.start(draft)
    notes: list[str] = []
    try:
        container_hashes: dict[str, str] = {}
        if is_container:
            progress.phase(f"{'hashing' if in_place else 'copying'} {source_path.name}", size)
            if in_place:
                container_hashes = hash_file(source_path, algorithms, progress=progress.advance)
            else:
                container_hashes = _copy_file_hashed(source_path, preserved, algorithms, progress)
                again = hash_file(preserved, algorithms)
                if again != container_hashes:
                    raise IntegrityError(f"the copy {preserved} does not match {source_path}", path=preserved)
        elif not in_place:
            progress.phase(f"copying {source_path.name}", size)
            notes += _copy_tree(source_path, preserved, progress)
        manifest_path = base.with_name(base.name + ".manifest.jsonl")
        progress.phase("hashing members for the manifest", size)
        # A container is listed from the kept copy (equal to the source by hash); a folder from
        # the source, and its copy is then checked against that manifest.
        listed = preserved if is_container else source_path
        with open_tree(listed, fmt) as tree:
            members = build_manifest(tree)
            summary = write_manifest(
                members, manifest_path, container_hashes=container_hashes, source=str(source_path)
            )
        if not in_place and not is_container:
            with open_tree(preserved, fmt) as copy_tree:
                differences = check_manifest(copy_tree, manifest_path)
            if differences:
                raise IntegrityError(
                    f"the copy in {preserved} differs from the source in {len(differences)} member(s), "
                    f"first: {differences[0]}",
                    path=preserved,
                )
        manifest_hash = summary.sha256
        hashes = container_hashes or {"manifest_sha256": manifest_hash}
        summary_dict: dict[str, Any] = {k: v for k, v in summary.to_dict().items() if k != "path"}
        if summary.errors or summary.problems:
            notes.append(
                f"{summary.errors} member(s) could not be read and {summary.problems} "
                "did not read as declared: see the manifest"
            )
        acquisition = records.complete(
            case,
            draft,
            hashes=hashes,
            segment_hashes=[
                {
                    "path": preserved.name,
                    "size": size,
                    **({"sha256": container_hashes["sha256"]} if "sha256" in container_hashes else {}),
                }
            ],
            errors=[],
            size=size,
            manifest=manifest_path,
            extra={
                "manifest_sha256": manifest_hash,
                "manifest": summary_dict,
                "in_place": in_place,
                "notes": notes,
            },
        )
    except BaseException as exc:
        records.fail(
            case,
            draft.id,
            examiner=examiner,
            reason=f"failed: {exc}",
            bytes_done=0,
            errors=[],
            resumable=False,
        )
        raise
    return Result(
        acquisition=acquisition, verification={"copy": "match"} if not in_place else None, notes=notes
    )
