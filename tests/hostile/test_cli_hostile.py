"""``hanota inspect`` and ``hanota reassemble`` on hostile files, as a user runs them.

Each case runs the real command in a subprocess with a timeout and an address-space limit, so a
hang or an unbounded allocation fails the test instead of the machine. The promise checked
(issue 9, "codec and CLI robustness"): exit 1, exactly one line on stderr naming the field and
the byte offset, no traceback, nothing on stdout.
"""

from __future__ import annotations

import json
import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from hanota.protocol.fragments import FRAGMENT_DESCRIPTOR_TAG

from . import _files as f

#: One subprocess per case (~0.5-1 s each): slow as a module, fast per test.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 60
ADDRESS_SPACE = 1024 * 1024 * 1024  # 1 GiB: far above what a refusal needs, far below a 4 GiB claim


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def hanota(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hanota", *args], capture_output=True, text=True,
                          timeout=TIMEOUT_S, cwd=ROOT, preexec_fn=_limit_memory, check=False)


def assert_refused(proc: subprocess.CompletedProcess[str], field: str | None = None, *,
                   offset: int | None = None, offset_required: bool = True) -> str:
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, lines
    line = lines[0]
    assert re.search(r"field \S+", line), line
    if offset_required:
        assert re.search(r"offset \d+ \(0x[0-9a-f]+\)", line), line
    if field is not None:
        assert f"field {field}," in line or line.endswith(f"field {field}") or f"field {field}:" in line, line
    if offset is not None:
        assert f"offset {offset} " in line, line
    return line


# ----------------------------------------------------------------------------- hanota inspect

_ZIGBEE = f.zigbee()


def _bad_integrity_size() -> bytes:
    image = f.zigbee(64)
    body = image[56:] + b"\x03\x00" + (15).to_bytes(4, "little") + bytes(15)
    return f.put(image[:56], f.TOTAL_SIZE_AT, "<I", 56 + len(body)) + body


INSPECT_CASES = {
    # name: (bytes, extra args, field, offset)
    "empty file": (b"", [], "header.file_identifier", 0),
    "one random byte": (f.random_bytes(1, 1), [], "header.file_identifier", 0),
    "random 56 bytes": (f.random_bytes(2, 56), [], "header.file_identifier", 0),
    "random 4 KiB": (f.random_bytes(3, 4096), [], "header.file_identifier", 0),
    "random bytes after the file identifier": (_ZIGBEE[:4] + f.random_bytes(4, 300), [], None, None),
    "truncated in the file identifier": (_ZIGBEE[:3], [], "header.file_identifier", 0),
    "truncated in the header string": (_ZIGBEE[:30], [], "header.header_string", 20),
    "truncated before the total image size": (_ZIGBEE[:53], [], "header.total_image_size", 52),
    "truncated in a sub-element header": (_ZIGBEE[:59], [], "header.total_image_size", 52),
    "truncated by one byte": (_ZIGBEE[:-1], [], "header.total_image_size", 52),
    "header declares a 4 GiB image": (f.declares_4gib_image(), [], "header.total_image_size", 52),
    "header declares 4 GiB, read as GBCS": (f.declares_4gib_image(), ["--format", "gbcs"],
                                            "header.total_image_size", 52),
    "header declares fewer bytes than its own length": (f.put(_ZIGBEE, f.TOTAL_SIZE_AT, "<I", 10), [],
                                                        "header.total_image_size", 52),
    "second sub-element declares 4 GiB": (f.declares_4gib_sub_element(1), [], "sub_elements[1].length", 80),
    "first sub-element declares 4 GiB, read as ZigBee": (
        f.declares_4gib_sub_element(0), ["--format", "zigbee"], "sub_elements[0].length", 58),
    "reserved field-control bits": (f.put(_ZIGBEE, f.FIELD_CONTROL_AT, "<H", 0x8000), [],
                                    "header.field_control", 8),
    "header length disagrees with field control": (f.put(_ZIGBEE, f.HEADER_LENGTH_AT, "<H", 0xFFFF), [],
                                                   "header.header_length", 6),
    "file above --max-size": (_ZIGBEE, ["--max-size", "100"], "image", 100),
    "image integrity code of the wrong size": (_bad_integrity_size(), [], "sub_elements[1].length", 128),
}


@pytest.mark.parametrize(("data", "args", "field", "offset"), list(INSPECT_CASES.values()),
                         ids=list(INSPECT_CASES))
def test_inspect_refuses_hostile_file(tmp_path: Path, data: bytes, args: list[str], field: str | None,
                                      offset: int | None) -> None:
    path = tmp_path / "hostile.ota"
    path.write_bytes(data)
    proc = hanota("inspect", str(path), *args)
    assert_refused(proc, field, offset=offset)
    assert proc.stdout == ""


def test_inspect_json_refusal_prints_no_json(tmp_path: Path) -> None:
    path = tmp_path / "hostile.ota"
    path.write_bytes(f.declares_4gib_image())
    proc = hanota("inspect", str(path), "--json")
    assert_refused(proc, "header.total_image_size", offset=52)
    assert proc.stdout == ""


def test_first_sub_element_declaring_4_gib_reads_as_gbcs_by_the_format_rule(tmp_path: Path) -> None:
    """ADR 0004: bytes after the header that do not *begin* like a sub-element (a length that fits)
    are a GBCS Manufacturer Image. So, read without ``--format``, this file is a (valid) GBCS
    image: the 4 GiB is never used as a length, nothing is allocated by it."""
    path = tmp_path / "hostile.ota"
    path.write_bytes(f.declares_4gib_sub_element(0))
    proc = hanota("inspect", str(path), "--json")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["format"] == "gbcs-upgrade-image"
    assert info["manufacturer_image_length"] == 6 + 32


def test_inspect_endless_file_is_refused_by_size_without_reading_it_all() -> None:
    assert_refused(hanota("inspect", "/dev/zero"), "image")


# -------------------------------------------------------------------------- hanota reassemble

def _dir(tmp_path: Path, parts: list[bytes]) -> Path:
    folder = tmp_path / "parts"
    folder.mkdir()
    for n, data in enumerate(parts):
        (folder / f"part{n:03d}.ota").write_bytes(data)
    return folder


_PARTS = f.fragments()
_LAST = len(_PARTS) - 1


def _replace(index: int, data: bytes) -> list[bytes]:
    parts = list(_PARTS)
    parts[index] = data
    return parts


REASSEMBLE_CASES = {
    # name: (fragment files, field, offset (None: not checked), offset required)
    "random bytes": ([f.random_bytes(n, 50 * n) for n in range(1, 4)], "header.file_identifier", 0, True),
    "empty files": ([b"", b""], "header.file_identifier", 0, True),
    "a whole image, not a fragment": ([f.zigbee()], "sub_elements[0].tag", 56, True),
    "a truncated fragment": (_replace(1, _PARTS[1][:-7]), "header.total_image_size", 52, True),
    "a fragment cut inside its descriptor": (_replace(0, f.put(_PARTS[0][:90], f.TOTAL_SIZE_AT, "<I", 90)),
                                             "descriptor", 90, True),
    "fragment header declares a 4 GiB file": (
        _replace(0, f.put(_PARTS[0], f.TOTAL_SIZE_AT, "<I", f.FOUR_GIB)),
        "header.total_image_size", 52, True),
    "descriptor declares a 4 GiB whole image": (
        _replace(0, f.with_descriptor(_PARTS[0], "total_size", f.FOUR_GIB)),
        "descriptor.total_size", 80, True),
    "descriptor element declares 4 GiB": (_replace(0, f.put(_PARTS[0], 58, "<I", f.FOUR_GIB)),
                                          "sub_elements[0].length", 58, True),
    "upgrade-image element declares 4 GiB": (_replace(0, f.put(_PARTS[0], 56 + 6 + 94 + 2, "<I", f.FOUR_GIB)),
                                             "sub_elements[1].length", 158, True),
    "offset plus length past the declared total": (
        _replace(_LAST, f.with_descriptor(_PARTS[_LAST], "fragment_offset", f.FOUR_GIB)),
        "descriptor.fragment_offset", 72, True),
    "fragment count 0": (_replace(0, f.with_descriptor(_PARTS[0], "fragment_count", 0)),
                         "descriptor.fragment_count", 70, True),
    "forged fragment count": (_replace(_LAST, f.with_descriptor(_PARTS[_LAST], "fragment_count", 0xFFFF)),
                              "descriptor.fragment_count", 70, True),
    "index not below the count": (_replace(0, f.with_descriptor(_PARTS[0], "fragment_index", 0xFFFF)),
                                  "descriptor.fragment_index", 68, True),
    "forged whole-image digest in every fragment": (
        [f.put(p, f.DESCRIPTOR_AT + 62, "<I", 0xDEADBEEF) for p in _PARTS],
        "descriptor.whole_digest", 0, True),
    "a damaged slice": (_replace(1, _PARTS[1][:-1] + bytes([_PARTS[1][-1] ^ 1])), "sub_elements[1].value",
                        None, True),
    "a fragment missing": (_PARTS[1:], "fragments", None, False),
}


@pytest.mark.parametrize(("parts", "field", "offset", "offset_required"), list(REASSEMBLE_CASES.values()),
                         ids=list(REASSEMBLE_CASES))
def test_reassemble_refuses_hostile_directory(tmp_path: Path, parts: list[bytes], field: str,
                                              offset: int | None, offset_required: bool) -> None:
    out = tmp_path / "whole.ota"
    proc = hanota("reassemble", str(_dir(tmp_path, parts)), "--out", str(out))
    assert_refused(proc, field, offset=offset, offset_required=offset_required)
    assert not out.exists()


def test_reassemble_fragment_above_max_bytes(tmp_path: Path) -> None:
    out = str(tmp_path / "o")
    proc = hanota("reassemble", str(_dir(tmp_path, _PARTS)), "--out", out, "--max-bytes", "100")
    assert_refused(proc, "fragment", offset=100)


def test_reassemble_manifest_escaping_the_directory_is_a_usage_error(tmp_path: Path) -> None:
    folder = _dir(tmp_path, _PARTS)
    (folder / "manifest.json").write_text(json.dumps({"format": "hanota-fragments/1", "fragments": [
        {"file": "../../etc/passwd"}]}))
    proc = hanota("reassemble", str(folder), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr


def test_reassemble_endless_fragment_file_is_refused_by_size(tmp_path: Path) -> None:
    folder = tmp_path / "parts"
    folder.mkdir()
    (folder / "zero.ota").symlink_to("/dev/zero")
    assert_refused(hanota("reassemble", str(folder), "--out", str(tmp_path / "o")), "fragment")


def test_descriptor_tag_is_the_one_the_hostile_files_assume() -> None:
    assert _PARTS[0][56:58] == FRAGMENT_DESCRIPTOR_TAG.to_bytes(2, "little")
