"""Private keys stay private: 0600 files in 0700 folders, never overwritten, officers named in any script."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

import pytest

from chain_of_custody import KeyFileError, KeyStore, LedgerError, Signer, key_id_for
from chain_of_custody.keys import verify_ed25519


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_signer_basics() -> None:
    signer = Signer.generate()
    assert len(signer.public_key) == 32
    assert signer.public_key_hex == signer.public_key.hex()
    assert (
        signer.key_id == hashlib.sha256(signer.public_key).hexdigest()[:16] == key_id_for(signer.public_key)
    )
    signature = signer.sign(b"entry hash")
    assert len(signature) == 64
    assert verify_ed25519(signer.public_key, signature, b"entry hash")
    assert not verify_ed25519(signer.public_key, signature, b"another entry hash")
    assert not verify_ed25519(Signer.generate().public_key, signature, b"entry hash")
    assert "PRIVATE" not in repr(signer) and signer.key_id in repr(signer)


def test_save_and_load(tmp_path: Path) -> None:
    signer = Signer.generate()
    path = tmp_path / "keys" / "officer.key"
    signer.save(path)
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    loaded = Signer.load(path)
    assert loaded.key_id == signer.key_id
    assert verify_ed25519(signer.public_key, loaded.sign(b"x"), b"x")


def test_save_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    first = Signer.generate()
    first.save(path)
    with pytest.raises(KeyFileError, match="already there"):
        Signer.generate().save(path)
    assert Signer.load(path).key_id == first.key_id


def test_load_refuses_a_key_others_can_read(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    Signer.generate().save(path)
    path.chmod(0o644)
    with pytest.raises(KeyFileError, match="can be read by other users") as caught:
        Signer.load(path)
    assert "chmod 600" in (caught.value.hint or "")


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="no key file"):
        Signer.load(tmp_path / "missing.key")
    junk = tmp_path / "junk.key"
    junk.write_text("not a key")
    junk.chmod(0o600)
    with pytest.raises(KeyFileError, match="not a readable private key"):
        Signer.load(junk)
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    other = tmp_path / "ec.key"
    other.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    other.chmod(0o600)
    with pytest.raises(KeyFileError, match="not an Ed25519 key"):
        Signer.load(other)


def test_keystore_workstation(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys")
    assert store.workstation() is None
    assert not (tmp_path / "keys").exists()  # nothing is created just by looking
    created = store.workstation(create=True)
    assert created is not None
    assert mode(tmp_path / "keys") == 0o700
    assert mode(store.workstation_path) == 0o600
    again = store.workstation(create=True)
    assert again is not None and again.key_id == created.key_id
    assert KeyStore(tmp_path / "keys").workstation() is not None


def test_keystore_officers_with_thai_and_chinese_names(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys")
    thai = "ร.ต.อ. หญิง มาลี ศรีสุข"
    chinese = "王警官"
    assert store.officer(thai) is None
    malee = store.create_officer(thai)
    wang = store.create_officer(chinese)
    assert malee.key_id != wang.key_id
    assert store.officer(thai).key_id == malee.key_id  # type: ignore[union-attr]
    assert store.officer(f"  {thai} ").key_id == malee.key_id  # type: ignore[union-attr]
    officers_dir = tmp_path / "keys" / "officers"
    assert mode(officers_dir) == 0o700
    for key_file in officers_dir.glob("*.key"):
        assert mode(key_file) == 0o600
        assert key_file.name.isascii()  # safe on FAT-formatted USB sticks and in zip files
    assert store.officers() == {thai: malee.key_id, chinese: wang.key_id}
    index = json.loads((officers_dir / "index.json").read_text(encoding="utf-8"))
    assert index[thai]["key_id"] == malee.key_id
    assert mode(officers_dir / "index.json") == 0o600
    with pytest.raises(KeyFileError, match="already has a key"):
        store.create_officer(thai)


def test_officer_name_in_decomposed_form_finds_the_same_key(tmp_path: Path) -> None:
    import unicodedata

    store = KeyStore(tmp_path / "keys")
    name = "Nguyễn Văn An"  # typed on another keyboard as decomposed characters
    signer = store.create_officer(unicodedata.normalize("NFC", name))
    assert store.officer(unicodedata.normalize("NFD", name)).key_id == signer.key_id  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["", "   ", "line\nbreak"])
def test_unusable_officer_names(tmp_path: Path, name: str) -> None:
    with pytest.raises(LedgerError, match="not a usable officer name"):
        KeyStore(tmp_path).create_officer(name)
