"""The signed manifest: any changed byte of any artifact is caught and the file is named."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hanota.conformance.cli import main
from hanota.conformance.report import finish_report
from hanota.conformance.report.manifest import (
    MANIFEST,
    ManifestError,
    fingerprint,
    load_or_create_installation_key,
    load_private_key,
    verify_manifest,
    write_manifest,
)
from hanota.conformance.report.render import render_report

from . import CATALOGUE, make_report_dir

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


def signed_dir(path: Path) -> Path:
    d = make_report_dir(path)
    render_report(d, requirements=CATALOGUE)
    write_manifest(d, signing_key=KEY)
    return d


def artifacts(d: Path) -> list[str]:
    return sorted(p.relative_to(d).as_posix() for p in d.rglob("*") if p.is_file())


def flip(path: Path, pos: int) -> bytes:
    data = bytearray(path.read_bytes())
    original = bytes(data)
    data[pos] ^= 0x01
    path.write_bytes(bytes(data))
    return original


@pytest.fixture
def report(tmp_path):
    return signed_dir(tmp_path / "run")


def test_a_fresh_report_verifies(report):
    res = verify_manifest(report)
    assert res.valid and res.key_source == "manifest"
    assert res.key_fingerprint == fingerprint(KEY.public_key())
    assert set(res.signed["files"]) == set(artifacts(report)) - {MANIFEST}
    assert res.signed["suite_version"] == "0.1.0" and res.signed["pics"]["manufacturer_code"] == "0x1234"


def test_first_middle_and_last_byte_of_every_artifact(report):
    for rel in artifacts(report):
        path = report / rel
        size = path.stat().st_size
        for pos in sorted({0, size // 2, size - 1}):
            original = flip(path, pos)
            res = verify_manifest(report)
            assert not res.valid, (rel, pos)
            assert res.message().startswith(f"{rel}: ") or res.files == [rel], (rel, pos, res.message())
            path.write_bytes(original)
    assert verify_manifest(report).valid


def test_every_byte_of_the_manifest_itself(report):
    path = report / MANIFEST
    raw = path.read_bytes()
    for pos in range(len(raw)):
        for mask in (0x01, 0x20):  # a low bit (hex digits, base64) and case / whitespace
            data = bytearray(raw)
            data[pos] ^= mask
            path.write_bytes(bytes(data))
            res = verify_manifest(report)
            assert not res.valid and res.message().startswith(f"{MANIFEST}: "), (pos, mask, res.message())
    path.write_bytes(raw)
    assert verify_manifest(report).valid


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_byte_of_any_artifact(report, data):
    files = artifacts(report)
    rel = data.draw(st.sampled_from(files))
    path = report / rel
    pos = data.draw(st.integers(0, path.stat().st_size - 1))
    mask = data.draw(st.integers(1, 255))
    raw = path.read_bytes()
    b = bytearray(raw)
    b[pos] ^= mask
    path.write_bytes(bytes(b))
    try:
        res = verify_manifest(report)
        assert not res.valid
        assert res.message().startswith(f"{rel}: ") or res.files == [rel], res.message()
    finally:
        path.write_bytes(raw)


def test_added_removed_and_linked_files_are_named(report):
    (report / "allure-results" / "extra.json").write_text("{}")
    res = verify_manifest(report)
    assert res.added == ["allure-results/extra.json"]
    assert "allure-results/extra.json: added after signing" in res.message()
    os.remove(report / "allure-results" / "extra.json")
    os.remove(report / "junit.xml")
    res = verify_manifest(report)
    assert res.removed == ["junit.xml"] and "junit.xml: removed after signing" in res.message()
    os.symlink(report / "results.json", report / "junit.xml")
    res = verify_manifest(report)
    assert not res.valid and res.files == ["junit.xml"]


def test_appending_or_truncating_is_caught(report):
    with (report / "results.json").open("ab") as fh:
        fh.write(b" ")
    assert verify_manifest(report).changed == ["results.json"]


def test_given_key_and_other_key(report, tmp_path):
    pem = tmp_path / "pub.pem"
    pem.write_bytes(KEY.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo))
    assert verify_manifest(report, KEY.public_key()).key_source == "given"
    other = Ed25519PrivateKey.generate().public_key()
    res = verify_manifest(report, other)
    assert not res.valid and "signed by another key" in res.message()
    assert main(["verify-report", str(report), "--public-key", str(pem)]) == 0
    other_pem = tmp_path / "other.pem"
    other_pem.write_bytes(other.public_bytes(serialization.Encoding.PEM,
                                             serialization.PublicFormat.SubjectPublicKeyInfo))
    assert main(["verify-report", str(report), "--public-key", str(other_pem)]) == 1


def test_resigning_with_another_key_is_seen_only_against_the_given_key(report):
    forger = Ed25519PrivateKey.generate()
    (report / "results.json").write_text("{}")
    write_manifest(report, signing_key=forger)
    assert verify_manifest(report).valid  # self-consistent: the recorded key is the forger's
    assert verify_manifest(report).key_fingerprint != fingerprint(KEY.public_key())
    assert not verify_manifest(report, KEY.public_key()).valid


def test_verify_report_command_exit_codes(report, tmp_path, capsys):
    assert main(["verify-report", str(report)]) == 0
    out = capsys.readouterr()
    assert fingerprint(KEY.public_key()) in out.out
    flip(report / "allure-results" / "0a1b-attachment.txt", 7)
    assert main(["verify-report", str(report)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "allure-results/0a1b-attachment.txt: changed since signing" in err[0]
    assert main(["verify-report", str(tmp_path / "nope")]) == 2
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key")
    assert main(["verify-report", str(report), "--public-key", str(bad)]) == 2
    os.remove(report / MANIFEST)
    assert main(["verify-report", str(report)]) == 1
    assert "manifest.json: missing" in capsys.readouterr().err


def test_installation_key_is_created_once_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    k1 = load_or_create_installation_key()
    path = tmp_path / "cfg" / "hanota" / "signing-key.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    k2 = load_or_create_installation_key()
    assert fingerprint(k1.public_key()) == fingerprint(k2.public_key())


def test_signing_key_files(tmp_path):
    pem = tmp_path / "k.pem"
    pem.write_bytes(KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    assert fingerprint(load_private_key(pem).public_key()) == fingerprint(KEY.public_key())
    ec = tmp_path / "ec.pem"
    ec.write_bytes(generate_private_key(SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    with pytest.raises(ManifestError, match="must be Ed25519"):
        load_private_key(ec)
    with pytest.raises(ManifestError, match="cannot read"):
        load_private_key(tmp_path / "absent.pem")


def test_a_symlink_is_refused_at_signing(tmp_path):
    d = make_report_dir(tmp_path / "run")
    os.symlink(d / "junit.xml", d / "link.xml")
    with pytest.raises(ManifestError, match="symbolic link"):
        write_manifest(d, signing_key=KEY)


def test_finish_report_renders_and_signs(tmp_path):
    d = make_report_dir(tmp_path / "run")
    pem = tmp_path / "k.pem"
    pem.write_bytes(KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    finish_report(d, signing_key_path=str(pem))
    res = verify_manifest(d, KEY.public_key())
    assert res.valid and "report.html" in res.signed["files"]
