"""One process's account of exploration runs, for the determinism tests: for each run, the
examples and hub actions run, the frames checked, the digest of every transcript, the
counterexample and its shrunk actions.

``python -m tests.explore.same_seed '{"runs": [[[], 7, 20]], "import": ["module"]}'`` prints the
runs' outcomes as one JSON line; the modules in ``import`` are imported first.
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any

Run = tuple[list[str], int, int]  # faults, seed, examples


def outcomes(runs: list[Run]) -> list[list[Any]]:
    from hanota.conformance.explore.machine import explore

    from .helpers import reference

    out = []
    for faults, seed, examples in runs:
        r = explore(reference(*faults), seed_value=seed, examples=examples)
        out.append([r.examples, r.steps, r.frames_checked, r.digest,
                    str(r.violation) if r.violation else None, r.actions])
    return json.loads(json.dumps(out))  # type: ignore[no-any-return]  # as it comes from another process


def main(argv: list[str]) -> int:
    args = json.loads(argv[0])
    for name in args.get("import", []):
        importlib.import_module(name)
    runs: list[Run] = [(list(faults), int(seed), int(examples)) for faults, seed, examples in args["runs"]]
    print(json.dumps(outcomes(runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
