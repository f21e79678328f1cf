"""Run every benchmark in bench/ and print ``name: value`` lines.

Usage (from the repository root, after the README's set-up): ``python bench/run.py [NAME...]``.
Each ``bench/bench_*.py`` defines ``main(emit)`` and calls ``emit(name, value)`` for each
figure. Ratios are always against a baseline measured in the same process and run.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def emit(name: str, value: float | int | str) -> None:
    if isinstance(value, float):
        value = f"{value:.3f}" if abs(value) < 1000 else f"{value:.0f}"
    print(f"{name}: {value}", flush=True)


def main(argv: list[str]) -> int:
    wanted = set(argv)
    for path in sorted(HERE.glob("bench_*.py")):
        short = path.stem.removeprefix("bench_")
        if wanted and short not in wanted:
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        start = time.perf_counter()
        print(f"# {short}", flush=True)
        module.main(emit)
        emit(f"{short}_bench_wall_s", time.perf_counter() - start)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
