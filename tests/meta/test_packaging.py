"""The wheel's package list names every folder of the source that holds an ``__init__.py``:
a subpackage left out of ``pyproject.toml`` installs a ``hanota`` that fails on import."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_source_package_is_in_the_wheel():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(setuptools["packages"])
    on_disk = {"hanota", "hanota.features"}
    for source in ("protocol", "conformance", "steps"):
        assert setuptools["package-dir"][f"hanota.{source}"] == source
        for init in (ROOT / source).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT).parts
            on_disk.add(".".join(("hanota", *parts)))
    assert listed == on_disk, (f"missing from pyproject.toml: {sorted(on_disk - listed)}; "
                               f"listed but not a package: {sorted(listed - on_disk)}")
