"""Replay the fuzz targets' kept inputs in the normal test run (no atheris needed).

- every file in ``fuzz/crashes/<target>-<sha1>.bin``: an input a fuzzing run found crashing,
  kept so the fix stays fixed;
- every seed in ``fuzz/corpus/<target>/``: the valid messages the corpora start from (they must
  be accepted where they are meant to be, and the targets' checks must hold on them);
- a modest hypothesis run of random bytes through each target, so the targets' own invariants
  are exercised on every CI run, not only when someone fuzzes.

A target's ``TestOneInput`` returns quietly for a refusal that obeys the error contract and
raises anything else, so each replay is one call.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUZZ = Path(__file__).resolve().parents[2] / "fuzz"
TARGETS = ("image", "frame", "reassembler", "bridge")


def target(name: str) -> Callable[[bytes], None]:
    module = importlib.import_module(f"fuzz.fuzz_{name}")
    one_input: Callable[[bytes], None] = module.TestOneInput
    return one_input


def _kept(folder: Path, pattern: str) -> list[Path]:
    return sorted(folder.glob(pattern)) if folder.is_dir() else []


CRASHES = _kept(FUZZ / "crashes", "*.bin")
SEEDS = [p for name in TARGETS for p in _kept(FUZZ / "corpus" / name, "*.bin")]


@pytest.mark.parametrize("path", CRASHES, ids=[p.name for p in CRASHES])
def test_kept_crash_input_no_longer_crashes(path: Path) -> None:
    name = path.name.split("-", 1)[0]
    assert name in TARGETS, f"{path.name}: crash files are named <target>-<sha1>.bin"
    target(name)(path.read_bytes())


def test_crash_files_are_named_after_a_target() -> None:
    for path in CRASHES:
        assert path.name.split("-", 1)[0] in TARGETS, path.name


@pytest.mark.parametrize("path", SEEDS, ids=[f"{p.parent.name}/{p.name}" for p in SEEDS])
def test_seed_passes_its_target(path: Path) -> None:
    target(path.parent.name)(path.read_bytes())


def test_every_target_has_seeds() -> None:
    for name in TARGETS:
        assert _kept(FUZZ / "corpus" / name, "*.bin"), f"fuzz/corpus/{name} has no seeds"


def test_image_seeds_are_accepted_images() -> None:
    """The image corpus starts from valid files: a seed that stopped parsing would quietly make
    the fuzzer start from the front door only."""
    from hanota.protocol.ota_image import parse_image

    for path in _kept(FUZZ / "corpus" / "image", "*.bin"):
        parse_image(path.read_bytes())


@pytest.mark.parametrize("name", TARGETS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=600))
def test_random_bytes_only_give_contract_errors(name: str, data: bytes) -> None:
    target(name)(data)


@pytest.mark.parametrize("name", TARGETS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_seeds_only_give_contract_errors(name: str, data: st.DataObject) -> None:
    seeds = _kept(FUZZ / "corpus" / name, "*.bin")
    seed = bytearray(data.draw(st.sampled_from(seeds)).read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, max(0, len(seed) - 1)))
        action = data.draw(st.sampled_from(("flip", "cut", "insert")))
        if action == "flip" and seed:
            seed[at] ^= data.draw(st.integers(1, 255))
        elif action == "cut":
            del seed[at:at + data.draw(st.integers(1, 8))]
        else:
            seed[at:at] = data.draw(st.binary(min_size=1, max_size=8))
    target(name)(bytes(seed))
