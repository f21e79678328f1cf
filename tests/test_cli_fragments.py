"""``hanota fragment`` and ``hanota reassemble``: files written, exit codes, the one-line error."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import zigpy.ota.image as zigpy_image

from hanota.conformance.cli import main
from hanota.protocol.ota_image import build_gbcs_image, build_zigbee_image
from hanota.protocol.signatures import generate_test_key, public_key_pem

LIMIT = 400  # a small --max-bytes keeps these fast; the default is tested in tests/protocol


def _image(tmp_path: Path, size: int = 1500) -> Path:
    path = tmp_path / "whole.ota"
    path.write_bytes(build_zigbee_image(manufacturer_code=0x1234, image_type=0x42, file_version=7,
                                        sub_elements=[(0x0000, os.urandom(size - 62))]))
    return path


def _fragment(tmp_path: Path, image: Path, *extra: str) -> tuple[int, Path]:
    out = tmp_path / "parts"
    return main(["fragment", str(image), "--out", str(out), "--max-bytes", str(LIMIT), *extra]), out


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return lines[0]


def test_fragment_then_reassemble_a_directory(tmp_path, capsys):
    image = _image(tmp_path)
    code, out = _fragment(tmp_path, image)
    assert code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    files = sorted(out.glob("fragment-*.ota"))
    assert manifest["fragmented"] is True and manifest["count"] == len(files) == 7
    assert manifest["image"]["size"] == image.stat().st_size and manifest["max_bytes"] == LIMIT
    assert [f["file"] for f in manifest["fragments"]] == [f.name for f in files]
    for path, entry in zip(files, manifest["fragments"], strict=True):
        assert entry["size"] == path.stat().st_size <= LIMIT
        zigpy_image.parse_ota_image(path.read_bytes())
    capsys.readouterr()
    back = tmp_path / "back.ota"
    assert main(["reassemble", str(out), "--out", str(back), "--max-bytes", str(LIMIT)]) == 0
    assert back.read_bytes() == image.read_bytes()
    assert "7 fragments" in capsys.readouterr().out


def test_reassemble_files_in_any_order_with_duplicates(tmp_path):
    image = _image(tmp_path)
    _, out = _fragment(tmp_path, image)
    files = [str(p) for p in sorted(out.glob("fragment-*.ota"), reverse=True)]
    back = tmp_path / "back.ota"
    assert main(["reassemble", *files, files[0], "--out", str(back), "--max-bytes", str(LIMIT)]) == 0
    assert back.read_bytes() == image.read_bytes()


def test_missing_fragment_exits_1_with_one_line(tmp_path, capsys):
    _, out = _fragment(tmp_path, _image(tmp_path))
    files = [str(p) for p in sorted(out.glob("fragment-*.ota"))]
    capsys.readouterr()
    back = tmp_path / "back.ota"
    assert main(["reassemble", *files[:-1], "--out", str(back), "--max-bytes", str(LIMIT)]) == 1
    line = _one_line(capsys.readouterr().err)
    assert "missing" in line and "field fragments" in line
    assert not back.exists()


def test_damaged_fragment_exits_1_naming_file_field_and_offset(tmp_path, capsys):
    _, out = _fragment(tmp_path, _image(tmp_path))
    victim = sorted(out.glob("fragment-*.ota"))[1]
    data = bytearray(victim.read_bytes())
    data[-1] ^= 0xFF
    victim.write_bytes(bytes(data))
    capsys.readouterr()
    args = ["reassemble", *map(str, sorted(out.glob("fragment-*.ota"))), "--out", str(tmp_path / "b"),
            "--max-bytes", str(LIMIT)]
    assert main(args) == 1
    line = _one_line(capsys.readouterr().err)
    assert victim.name in line and "sub_elements[1].value" in line and "offset" in line
    # Through the directory, the manifest's digest catches it first.
    assert main(["reassemble", str(out), "--out", str(tmp_path / "b"), "--max-bytes", str(LIMIT)]) == 1
    assert "manifest" in _one_line(capsys.readouterr().err)


def test_fragment_above_the_reassemblers_limit_exits_1(tmp_path, capsys):
    _, out = _fragment(tmp_path, _image(tmp_path))
    capsys.readouterr()
    assert main(["reassemble", str(out), "--out", str(tmp_path / "b"), "--max-bytes", str(LIMIT - 1)]) == 1
    assert "field fragment" in _one_line(capsys.readouterr().err)


def test_signed_gbcs_with_public_key(tmp_path, capsys):
    key, other = generate_test_key(), generate_test_key()
    image = tmp_path / "gbcs.ota"
    image.write_bytes(build_gbcs_image(manufacturer_code=0x1234, image_type=0x42, file_version=7,
                                       manufacturer_image=os.urandom(1200), private_key=key))
    (tmp_path / "key.pub").write_bytes(public_key_pem(key))
    (tmp_path / "other.pub").write_bytes(public_key_pem(other))
    code, out = _fragment(tmp_path, image)
    assert code == 0
    back = tmp_path / "back.ota"
    common = ["--out", str(back), "--max-bytes", str(LIMIT)]
    assert main(["reassemble", str(out), *common, "--public-key", str(tmp_path / "key.pub")]) == 0
    assert back.read_bytes() == image.read_bytes()
    back.unlink()
    capsys.readouterr()
    assert main(["reassemble", str(out), *common, "--public-key", str(tmp_path / "other.pub")]) == 1
    assert "signature" in _one_line(capsys.readouterr().err)
    assert not back.exists()


def test_image_within_the_limit_is_copied_not_fragmented(tmp_path, capsys):
    image = _image(tmp_path, size=LIMIT)
    code, out = _fragment(tmp_path, image)
    assert code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["fragmented"] is False and manifest["count"] == 1
    assert (out / "image.ota").read_bytes() == image.read_bytes()
    back = tmp_path / "back.ota"
    assert main(["reassemble", str(out), "--out", str(back)]) == 0
    assert back.read_bytes() == image.read_bytes()


def test_invalid_image_exits_1(tmp_path, capsys):
    bad = tmp_path / "bad.ota"
    bad.write_bytes(b"\x1e\xf1\xee\x0b" + bytes(60))
    code, _ = _fragment(tmp_path, bad)
    assert code == 1
    assert "bad.ota: invalid" in _one_line(capsys.readouterr().err)


@pytest.mark.parametrize("argv", [
    ["fragment", "/nonexistent/image.ota", "--out", "x"],
    ["reassemble", "/nonexistent/a.ota", "--out", "x"],
])
def test_unreadable_input_exits_2(argv, tmp_path, capsys):
    argv = [a if a != "x" else str(tmp_path / "x") for a in argv]
    assert main(argv) == 2
    _one_line(capsys.readouterr().err)


def test_usage_errors_exit_2(tmp_path, capsys):
    image = _image(tmp_path)
    for bad in ("0", "-5", "many"):
        with pytest.raises(SystemExit) as exit_:
            main(["fragment", str(image), "--out", str(tmp_path / "o"), "--max-bytes", bad])
        assert exit_.value.code == 2
    with pytest.raises(SystemExit) as exit_:
        main(["fragment", str(image)])  # --out is required
    assert exit_.value.code == 2
    # A limit with no room for any slice.
    assert main(["fragment", str(image), "--out", str(tmp_path / "o"), "--max-bytes", "100"]) == 2
    # An empty directory is not a set of fragments.
    (tmp_path / "empty").mkdir()
    assert main(["reassemble", str(tmp_path / "empty"), "--out", str(tmp_path / "b")]) == 2


def test_existing_fragments_need_force(tmp_path, capsys):
    image = _image(tmp_path)
    assert _fragment(tmp_path, image)[0] == 0
    assert _fragment(tmp_path, image)[0] == 2
    code, out = _fragment(tmp_path, image, "--force")
    assert code == 0 and len(list(out.glob("fragment-*.ota"))) == 7


def test_progress_is_reported_on_request(tmp_path, capsys):
    image = _image(tmp_path)
    assert _fragment(tmp_path, image, "--progress")[0] == 0
    assert "7/7 written" in capsys.readouterr().err
    assert main(["reassemble", str(tmp_path / "parts"), "--out", str(tmp_path / "b"),
                 "--max-bytes", str(LIMIT), "--progress"]) == 0
    assert "7/7 fragments read" in capsys.readouterr().err
