"""Wire formats live in protocol/ only: no module outside it reads or writes a byte offset of one.

A grep, not a parser: it looks for bytes indexed or sliced at a constant, struct packing, and
integers read from a slice, in conformance/ and steps/. Each exception below says why it is not
wire knowledge; anything else found is a copy of what protocol/ already knows (the reference
device once read the ZCL TSN at a fixed offset and answered manufacturer-specific frames with
bytes of the manufacturer code).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PATTERNS = [
    re.compile(r"\b(payload|data|raw|body|content|blob|frame)\[-?\d"),
    re.compile(r"\b(payload|data|raw|body|content|blob|frame)\[-?\d*\s*:\s*-?\d"),
    re.compile(r"\bstruct\.(pack|unpack|Struct|calcsize|pack_into|unpack_from)\b"),
    re.compile(r"\bint\.from_bytes\(\w+\["),
]
#: (file, text on the line) -> why it is not a wire format
ALLOWED = {
    ("conformance/models/han.py", "struct.pack"):
        "the HAN log's own stable serialisation for byte-for-byte comparisons, not a wire format",
    ("conformance/explore/session.py", "valid.data[:16]"):
        "the first 16 octets of an image as a block's content, not a field read",
    ("conformance/harness/images.py", "data=info.data[:-32]"):
        "the 'signature truncated' defect cuts the file's last 32 octets: made by length, no field read",
}


def _findings() -> list[str]:
    found = []
    for folder in ("conformance", "steps"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                code = line.split("#", 1)[0]
                if not any(p.search(code) for p in PATTERNS):
                    continue
                if any(rel == f and text in code for f, text in ALLOWED):
                    continue
                found.append(f"{rel}:{number}: {line.strip()}")
    return found


def test_no_module_outside_protocol_reads_a_wire_offset():
    found = _findings()
    assert not found, ("byte offsets of a wire format outside protocol/ (use or add a protocol/ "
                       "function):\n" + "\n".join(found))


def test_the_grep_finds_what_it_looks_for():
    samples = ("tsn = frame.payload[1]", "x = data[52:56]", "struct.pack('<I', n)",
               "int.from_bytes(raw[2:6], 'little')")
    assert all(any(p.search(s) for p in PATTERNS) for s in samples)
