"""``hanota inspect`` and ``hanota build-image``: exit codes, the one-line error, JSON fields."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hanota.conformance.cli import main

VECTORS = Path(__file__).resolve().parents[1] / ".." / "shared" / "vectors"


def _build(tmp_path, *extra):
    payload = tmp_path / "payload.bin"
    payload.write_bytes(b"Critical firmware " * 10)
    out = tmp_path / "image.bin"
    code = main(["build-image", "--payload", str(payload), "--manufacturer-code", "0x121d",
                 "--image-type", "0x84", "--file-version", "0xacdcacdc", "--min-hw-version", "0x1111",
                 "--max-hw-version", "0x1211", "--out", str(out), *extra])
    return code, out


def test_build_signed_gbcs_and_inspect_json(tmp_path, capsys):
    key = tmp_path / "test-key.pem"
    code, out = _build(tmp_path, "--new-key", str(key))
    assert code == 0 and key.exists() and Path(str(key) + ".pub").exists()
    capsys.readouterr()
    assert main(["inspect", str(out), "--json", "--public-key", str(key) + ".pub"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["format"] == "gbcs-upgrade-image" and info["sub_elements"] == []
    assert info["manufacturer_code"] == 0x121D and info["image_type"] == 0x84
    assert info["file_version"] == 0xACDCACDC and info["minimum_hardware_version"] == 0x1111
    assert info["signature_present"] is True and info["signature_verdict"] == "valid"
    assert len(info["manufacturer_image_sha256"]) == 64


def test_inspect_wrong_key_exits_1_with_one_line(tmp_path, capsys):
    _, out = _build(tmp_path, "--new-key", str(tmp_path / "a.pem"))
    main(["build-image", "--payload", str(out), "--manufacturer-code", "1", "--image-type", "1",
          "--file-version", "1", "--new-key", str(tmp_path / "b.pem"), "--out", str(tmp_path / "other.bin")])
    capsys.readouterr()
    assert main(["inspect", str(out), "--public-key", str(tmp_path / "b.pem.pub")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "field signature" in err[0] and "offset" in err[0]


def test_inspect_invalid_image_exits_1(tmp_path, capsys):
    _, out = _build(tmp_path)
    data = bytearray(out.read_bytes())
    data[52] ^= 1
    out.write_bytes(bytes(data))
    assert main(["inspect", str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "header.total_image_size" in err[0] and "offset 52" in err[0]


def test_zigbee_build_and_inspect(tmp_path, capsys):
    code, out = _build(tmp_path, "--format", "zigbee", "--integrity-code")
    assert code == 0
    capsys.readouterr()
    assert main(["inspect", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["format"] == "zigbee-ota" and [e["tag"] for e in info["sub_elements"]] == [0, 3]
    assert info["integrity_variant"] == "before-sub-element"
    assert main(["inspect", str(out), "--format", "gbcs"]) == 1


@pytest.mark.parametrize("argv", [
    ["inspect", "/nonexistent/image.bin"],
    ["inspect"],
    ["build-image", "--payload", "/nonexistent", "--manufacturer-code", "1", "--image-type", "1",
     "--file-version", "1", "--out", "/tmp/x.bin"],
])
def test_usage_errors_exit_2(argv):
    try:
        assert main(argv) == 2
    except SystemExit as exit_:  # argparse's own usage errors
        assert exit_.code == 2


def test_signed_zigbee_build_verifies_and_names_its_signature_element(tmp_path, capsys):
    key = tmp_path / "k.pem"
    code, out = _build(tmp_path, "--format", "zigbee", "--new-key", str(key), "--integrity-code")
    assert code == 0 and "signed" in capsys.readouterr().out
    assert main(["inspect", str(out), "--json", "--public-key", str(key) + ".pub"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["format"] == "zigbee-ota"
    assert [e["name"] for e in info["sub_elements"]] == ["upgrade_image", "image_integrity_code",
                                                          "p256_signature"]
    assert info["signature_present"] is True and info["signature_verdict"] == "valid"
    other = tmp_path / "other.pem"
    main(["build-image", "--payload", str(out), "--manufacturer-code", "1", "--image-type", "1",
          "--file-version", "1", "--new-key", str(other), "--out", str(tmp_path / "other.bin")])
    capsys.readouterr()
    assert main(["inspect", str(out), "--public-key", str(other) + ".pub"]) == 1
    assert "field sub_elements[2].value" in capsys.readouterr().err


def test_bad_public_key_is_usage_error(tmp_path):
    _, out = _build(tmp_path)
    bad = tmp_path / "bad.pem"
    bad.write_text("nonsense")
    assert main(["inspect", str(out), "--public-key", str(bad)]) == 2


@pytest.mark.skipif(not VECTORS.is_dir(), reason=f"shared vectors folder absent: {VECTORS}")
def test_inspect_gbcs_sample(capsys):
    assert main(["inspect", str(VECTORS / "gbcs" / "esme-upgrade-image.bin"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    sha = "7542f475e3f12eae887d81e32c46d313741d67076b13caec2f82e00ba5e1bb36"
    assert info["manufacturer_image_sha256"] == sha
    assert info["signature_present"] is True and info["signature_verdict"] == "not-checked"
    assert info["total_image_size"] == 361


def test_inspect_verifies_a_zigbee_file_signed_in_the_p256_sub_element(tmp_path, capsys):
    from hanota.protocol.ota_image import P256_SIGNATURE_TAG, SUB_ELEMENT, build_zigbee_image
    from hanota.protocol.signatures import generate_test_key, public_key_pem

    key = generate_test_key()
    pub = tmp_path / "key.pub"
    pub.write_bytes(public_key_pem(key))
    signed = build_zigbee_image(manufacturer_code=0x121D, image_type=0x84, file_version=7,
                                sub_elements=[(0, b"firmware" * 20)], private_key=key)
    good = tmp_path / "signed.ota"
    good.write_bytes(signed)
    assert main(["inspect", str(good), "--json", "--public-key", str(pub)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert [(e["tag"], e["name"]) for e in info["sub_elements"]] == [(0, "upgrade_image"),
                                                                      (P256_SIGNATURE_TAG, "p256_signature")]
    assert info["signature_present"] is True and info["signature_verdict"] == "valid"
    # a sub-element after the signature, the total image size made to count it: one line naming it
    smuggled = signed + SUB_ELEMENT.build({"tag": 0, "value": b"unsigned"})
    smuggled = smuggled[:52] + len(smuggled).to_bytes(4, "little") + smuggled[56:]
    bad = tmp_path / "smuggled.ota"
    bad.write_bytes(smuggled)
    assert main(["inspect", str(bad), "--public-key", str(pub)]) == 1
    captured = capsys.readouterr()
    assert "signature: invalid" in captured.out
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and "field sub_elements[2].tag" in err[0] and f"offset {len(signed)}" in err[0]
