"""Peak memory of ``hanota inspect`` (and ``reassemble``) on files that declare 4 GiB.

Each command runs in its own child process, started by a small launcher that reads the
child's peak resident set with ``getrusage(RUSAGE_CHILDREN).ru_maxrss``. The baseline is
``python -c pass`` from the same interpreter in the same run, so the difference is what hanota
itself costs. Issue 9 wants the 4 GiB case under 100 MB: printed, not asserted.

Prints python_baseline_peak_mb, hanota_help_peak_mb (the CLI with every command imported, doing
nothing), inspect_4gib_declared_peak_mb, inspect_peak_vs_python_baseline_mb,
inspect_4gib_declared_exit, the same for a sub-element declaring 4 GiB and for a fragment whose
descriptor declares a 4 GiB whole image, and inspect_750kb_valid_peak_mb for scale.

Also ``hanota_run_peak_mb``: a whole ``hanota run`` against the reference device (one run, about
a minute and a half; ``--no-run`` leaves it out), with ``hanota_run_under_300mb``. It was about
1 GB until each scenario's harness was let go after the scenario (the pytest item's stash kept
every world, its images and frame logs, to the end of the run) and the hundred premises of the
load scenario stopped logging frames nobody reads.
"""

from __future__ import annotations

import hashlib
import statistics
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from hanota.protocol.fragments import FragmentDescriptor, build_fragment
from hanota.protocol.ota_image import build_zigbee_image

RUNS = 3
FOUR_GIB = 0xFFFF_FFFF


#: Runs argv[1:] and prints its exit code and RUSAGE_CHILDREN.ru_maxrss. A fresh, small launcher,
#: because Linux carries the forking process's resident set into the child's ru_maxrss across
#: exec: forked straight from this (larger) process, every child would look at least as big.
_LAUNCHER = ("import resource, subprocess, sys\n"
             "quiet = {'stdout': subprocess.DEVNULL, 'stderr': subprocess.DEVNULL}\n"
             "code = subprocess.run(sys.argv[1:], **quiet).returncode\n"
             "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")


def _peak_mb(argv: list[str], *, runs: int = RUNS) -> tuple[float, int]:
    """Median peak RSS (MB) over ``runs`` runs of ``argv``, and its exit code."""
    peaks, code = [], 0
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", _LAUNCHER, *argv], capture_output=True, text=True,
                             check=True).stdout.split()
        code = int(out[0])
        peaks.append(int(out[1]) / 1024)  # ru_maxrss is in KiB on Linux
    return statistics.median(peaks), code


def _image(payload: int) -> bytes:
    return build_zigbee_image(manufacturer_code=0x1234, image_type=0x42, file_version=7,
                              sub_elements=[(0x0000, b"\x5a" * payload)])


def _files(folder: Path) -> dict[str, Path]:
    image = _image(200)
    declared = bytearray(image)
    struct.pack_into("<I", declared, 52, FOUR_GIB)  # header: total_image_size
    element = bytearray(image)
    element += struct.pack("<HI", 0x0000, FOUR_GIB) + b"\x11" * 32  # a second sub-element
    struct.pack_into("<I", element, 52, len(element))
    payload = b"\xaa" * 64
    fragment = build_fragment(FragmentDescriptor(
        fragment_index=0, fragment_count=2, fragment_offset=0, fragment_length=len(payload),
        total_size=FOUR_GIB, manufacturer_code=0x1234, image_type=0x42, file_version=7,
        whole_format="zigbee-ota", fragment_sha256=hashlib.sha256(payload).digest(),
        whole_digest=bytes(32)), payload)
    parts = folder / "parts"
    parts.mkdir()
    paths = {"declared": folder / "declared-4gib.ota", "element": folder / "element-4gib.ota",
             "valid": folder / "valid-750kb.ota", "fragments": parts}
    paths["declared"].write_bytes(declared)
    paths["element"].write_bytes(element)
    paths["valid"].write_bytes(_image(750 * 1024 - 62))
    (parts / "0.ota").write_bytes(fragment)
    return paths


def main(emit: Callable[[str, float | int | str], None], *, whole_run: bool = True) -> None:
    python = sys.executable
    hanota = [python, "-m", "hanota"]
    with tempfile.TemporaryDirectory() as tmp:
        paths = _files(Path(tmp))
        baseline, _ = _peak_mb([python, "-c", "pass"])
        imports, _ = _peak_mb([*hanota, "--help"])  # every command module imported, no work done
        declared, declared_exit = _peak_mb([*hanota, "inspect", str(paths["declared"])])
        element, element_exit = _peak_mb([*hanota, "inspect", str(paths["element"])])
        fragment, fragment_exit = _peak_mb([*hanota, "reassemble", str(paths["fragments"]),
                                            "--out", str(Path(tmp) / "out.ota")])
        valid, valid_exit = _peak_mb([*hanota, "inspect", str(paths["valid"])])
        if whole_run:
            out = str(Path(tmp) / "report")
            run_peak, run_exit = _peak_mb([*hanota, "run", "--report-dir", out, "-q"], runs=1)
    emit("python_baseline_peak_mb", baseline)
    emit("hanota_help_peak_mb", imports)
    emit("inspect_4gib_declared_peak_mb", declared)
    emit("inspect_peak_vs_python_baseline_mb", declared - baseline)
    emit("inspect_4gib_declared_exit", declared_exit)
    emit("inspect_4gib_declared_under_100mb", "yes" if declared < 100 else "NO")
    emit("inspect_4gib_sub_element_peak_mb", element)
    emit("inspect_4gib_sub_element_exit", element_exit)
    emit("reassemble_4gib_whole_declared_peak_mb", fragment)
    emit("reassemble_4gib_whole_declared_exit", fragment_exit)
    emit("inspect_750kb_valid_peak_mb", valid)
    emit("inspect_750kb_valid_exit", valid_exit)
    if whole_run:
        emit("hanota_run_peak_mb", run_peak)
        emit("hanota_run_exit", run_exit)
        emit("hanota_run_under_300mb", "yes" if run_peak <= 300 else "NO")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run import emit as _emit

    main(_emit, whole_run="--no-run" not in sys.argv)
