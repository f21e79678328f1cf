"""``hanota explore``: property-based testing of a device under test (docs/explore.md).

A hypothesis state machine plays the hub towards the device — over the same adapters as
``hanota run`` (``--dut reference`` in process, ``--dut tcp://HOST:PORT`` over a DUT bridge) —
checks the invariants the specification implies after every step, and shrinks any
counterexample to the fewest hub actions. Exit 0: no counterexample; 1: one was found (first
line names the invariant, then the transcript); 2: usage error or unreachable device.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._args import count_arg, int_arg

if TYPE_CHECKING:
    from hanota.conformance.adapters.base import DutIdentity

NAME = "explore"
HELP = "explore a device with generated hub behaviour; shrink any counterexample to a replayable file"

#: The reference device's image capacity when exploring without a PICS: small, so the at-limit
#: and oversize images download in a few dozen blocks (a PICS may declare any capacity from
#: 1,024 bytes).
EXPLORE_REFERENCE_LIMIT = 2_048


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dut", default="reference",
                        help="device under test: 'reference' (built-in, default) or tcp://HOST:PORT")
    parser.add_argument("--pics", default=None, help="the device's PICS file (TOML); see docs/pics.md")
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--examples", type=count_arg, default=None, metavar="N",
                        help="how many generated examples to run (default 100)")
    budget.add_argument("--seconds", type=count_arg, default=None, metavar="N",
                        help="run batches of examples until N seconds have passed")
    parser.add_argument("--seed", type=int_arg, default=0, metavar="S",
                        help="seed of the generated examples (default 0; same seed, same run)")
    parser.add_argument("--steps", type=count_arg, default=30, metavar="N",
                        help="hub actions per example (default 30)")
    parser.add_argument("--report-dir", default=None,
                        help="where exploration.json/.html and the replay file are written "
                             "(default: reports/<timestamp>-explore/)")
    parser.add_argument("--replay", default=None, metavar="FILE",
                        help="run a saved counterexample again instead of exploring")
    parser.add_argument("--fault", action="append", default=[], metavar="NAME",
                        help="with --dut reference: break the reference device on purpose "
                             "(repeatable; conformance.models.device.FAULTS)")
    parser.add_argument("--key-seed", type=count_arg, default=0, metavar="N",
                        help="images are signed with the manufacturer test key of seed N "
                             "(as 'hanota serve-device --seed N' verifies; default 0)")
    parser.add_argument("--signing-key", default=None, metavar="PEM",
                        help="Ed25519 private key (PEM) that signs the report's manifest")


def _fail(text: str) -> int:
    print(f"hanota explore: {text}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    from hanota.conformance.adapters import DutDisconnectedError, DutNotApplicableError, DutSilentError
    from hanota.conformance.adapters.base import DutProtocolError
    from hanota.protocol.errors import HarnessUsageError, ProtocolError

    try:
        setup = _setup(args)
    except (HarnessUsageError, ProtocolError) as err:
        return _fail(str(err))
    except (DutDisconnectedError, DutSilentError, DutProtocolError, DutNotApplicableError) as err:
        return _fail(f"--dut {args.dut}: the device cannot be reached: {err}")
    try:
        if setup["replay"] is not None:
            return _replay(args, setup)
        return _explore(args, setup)
    except DutDisconnectedError as err:
        return _fail(f"--dut {args.dut}: the connection to the device was lost: {err}")
    except HarnessUsageError as err:
        return _fail(str(err))
    finally:
        setup["config"].dut.close()


def _setup(args: argparse.Namespace) -> dict[str, Any]:
    from hanota.conformance.adapters import (
        ReferenceAdapter,
        ReferenceDeviceConfig,
        TcpAdapter,
        parse_dut_specs,
    )
    from hanota.conformance.explore.images import Catalogue
    from hanota.conformance.explore.machine import ExploreConfig
    from hanota.conformance.explore.replay import load_replay
    from hanota.conformance.models.premises import deterministic_key
    from hanota.conformance.pics import load_pics, reference_pics
    from hanota.protocol.errors import HarnessUsageError
    from hanota.protocol.signatures import load_public_key_pem

    if args.signing_key:
        from hanota.conformance.report.manifest import ManifestError, load_private_key
        try:
            load_private_key(args.signing_key)
        except ManifestError as err:
            raise HarnessUsageError(f"--signing-key: {err}") from None
    replay = load_replay(args.replay) if args.replay else None
    try:
        specs = parse_dut_specs(args.dut)
    except HarnessUsageError as err:
        raise HarnessUsageError(f"--dut: {err}") from None
    if len(specs) != 1:
        raise HarnessUsageError("--dut: explore drives one device; give one tcp:// URL")
    if args.fault and specs[0] != "reference":
        raise HarnessUsageError("--fault: only the reference device can be broken on purpose")
    key_seed = replay.key_seed if replay is not None and args.key_seed == 0 else args.key_seed
    test_key = deterministic_key(key_seed).public_key()
    pics = load_pics(args.pics) if args.pics else None
    key_matches = True
    declared_key = None
    if pics is not None and pics.public_key_pem is not None:
        declared_key = load_public_key_pem(pics.public_key_pem)
        key_matches = declared_key.public_numbers() == test_key.public_numbers()
    faults = list(args.fault) or (replay.faults if replay is not None and specs[0] == "reference" else [])
    if specs[0] == "reference":
        if pics is None:
            capacity = replay.capacity if replay is not None else EXPLORE_REFERENCE_LIMIT
            pics = dataclasses.replace(reference_pics(), image_capacity_bytes=capacity)
        capacity = pics.image_capacity_bytes
        limit = capacity if capacity is not None else pics.max_image_bytes  # what the device holds
        if args.pics is None:
            config = ReferenceDeviceConfig(public_key=test_key, faults=frozenset(faults),
                                           options={"max_image_bytes": limit})
        else:
            config = ReferenceDeviceConfig(
                kind="ihd" if pics.kind == "ihd" else "ppmid", eui64=pics.eui64,
                manufacturer_code=pics.manufacturer_code,
                image_type=pics.image_type, file_version=pics.file_version,
                hardware_version=pics.hardware_version, public_key=declared_key or test_key,
                faults=frozenset(faults), options={"max_image_bytes": limit})
        dut: Any = ReferenceAdapter(config)
    else:
        timeout = pics.timing.response_timeout_ms if pics is not None else 5_000
        dut = TcpAdapter.from_url(specs[0], response_timeout_ms=timeout)
        if dut.identity.can_reset:  # the factory state, and the firmware it then runs
            dut.reset()
            dut.close()
            dut = TcpAdapter.from_url(specs[0], response_timeout_ms=timeout)
        if pics is None:
            pics = reference_pics(dut.identity.kind)
        capacity = pics.image_capacity_bytes
    ident = dut.identity
    catalogue = Catalogue(ident, capacity=capacity, key_seed=key_seed,
                          device_specific_files=pics.supports("device_specific_files"),
                          key_matches=key_matches, size_limit=pics.max_image_bytes)
    resume = pics.supports("resume") if replay is None or args.pics else replay.resume
    config_ = ExploreConfig(dut, catalogue, capacity=capacity, resume=resume,
                            settle_ms=min(300, pics.timing.response_timeout_ms),
                            max_wall_wait_ms=min(pics.timing.max_wall_wait_ms, 2_000),
                            can_power_cycle=ident.can_power_cycle, can_reset=ident.can_reset)
    if not key_matches:
        print("hanota explore: note: the PICS public key is not the test key of --key-seed; no image "
              "the explorer signs is valid for this device, so only refusals are explored", file=sys.stderr)
    return {"config": config_, "replay": replay, "faults": faults, "key_seed": key_seed,
            "capacity": capacity, "resume": resume}


def _identity(ident: DutIdentity) -> dict[str, Any]:
    return {"eui64": f"{ident.eui64:016x}", "kind": ident.kind,
            "manufacturer_code": f"0x{ident.manufacturer_code:04x}",
            "image_type": f"0x{ident.image_type:04x}", "file_version": f"0x{ident.file_version:08x}",
            "hardware_version": ident.hardware_version, "virtual_time": ident.virtual_time}


def _report_dir(args: argparse.Namespace) -> Path:
    if args.report_dir:
        return Path(args.report_dir)
    return Path.cwd() / "reports" / (time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-explore")


def _explore(args: argparse.Namespace, setup: dict[str, Any]) -> int:
    from hanota.conformance.explore.invariants import INVARIANTS
    from hanota.conformance.explore.machine import explore
    from hanota.conformance.explore.replay import save_replay

    config = setup["config"]
    examples = args.examples if args.examples is not None else (None if args.seconds else 100)
    result = explore(config, seed_value=args.seed, examples=examples, seconds=args.seconds,
                     steps=args.steps or 1)
    report_dir = _report_dir(args)
    report_dir.mkdir(parents=True, exist_ok=True)
    ran = result.found_after or result.examples
    doc: dict[str, Any] = {
        "format": "hanota-exploration/1", "dut": args.dut, "seed": args.seed, "faults": setup["faults"],
        "identity": _identity(config.dut.identity), "examples": ran, "steps": result.steps,
        "frames_checked": result.frames_checked, "transcript_digest": result.digest,
        "seconds": round(result.seconds, 2),
        "invariants": list(INVARIANTS), "counterexample": None}
    code = 0
    if result.actions:
        session = result.session
        assert session is not None
        lines = [e.line() for e in session.transcript]
        violation = result.violation
        name = violation.invariant if violation else "not-reproduced"
        message = violation.message if violation else "the shrunk actions did not break an invariant again"
        replay_file = save_replay(
            report_dir / "counterexample.json", invariant=name, message=message, dut=args.dut,
            faults=setup["faults"], identity=_identity(config.dut.identity), key_seed=setup["key_seed"],
            capacity=setup["capacity"], resume=setup["resume"], actions=result.actions,
            transcript=lines)
        source = INVARIANTS[name].source if name in INVARIANTS else ""
        doc["counterexample"] = {"invariant": name, "source": source, "message": message,
                                 "actions": len(result.actions), "reproduced": result.reproduced,
                                 "replay_file": replay_file.name, "transcript": lines}
        print(f"counterexample: {name} ({source}): {message}")
        print("\n".join(lines))
        print(f"hanota explore: shrunk to {len(result.actions)} hub action(s) after {ran} example(s); "
              f"replay with: hanota explore --replay {replay_file}", file=sys.stderr)
        code = 1
    else:
        print(f"no counterexample: {ran} examples, {result.steps} hub actions, "
              f"{result.frames_checked} device frames checked against {len(INVARIANTS)} invariants "
              f"(seed {args.seed}, {result.seconds:.1f} s)")
    _finish(report_dir, doc, args)
    return code


def _replay(args: argparse.Namespace, setup: dict[str, Any]) -> int:
    from hanota.conformance.explore.machine import replay_actions

    replay = setup["replay"]
    violation, session = replay_actions(setup["config"], replay.actions)
    if violation is None:
        print(f"no counterexample: the {len(replay.actions)} action(s) of {replay.path} break no "
              "invariant on this device")
        print("\n".join(e.line() for e in session.transcript))
        return 0
    print(f"counterexample: {violation}")
    print("\n".join(e.line() for e in session.transcript))
    return 1


def _finish(report_dir: Path, doc: dict[str, Any], args: argparse.Namespace) -> None:
    from hanota.conformance.explore.report import write_exploration
    from hanota.conformance.report import ManifestError, ReportError, render_report, suite_commit
    from hanota.conformance.report.manifest import (
        load_or_create_installation_key,
        load_private_key,
        write_manifest,
    )

    write_exploration(report_dir, doc)
    commit = suite_commit()
    try:
        if (report_dir / "results.json").is_file():
            render_report(report_dir, suite_commit=commit)  # its Exploration section too
        key = load_private_key(args.signing_key) if args.signing_key else load_or_create_installation_key()
        write_manifest(report_dir, signing_key=key, suite_commit=commit)
    except (ReportError, ManifestError) as err:
        print(f"hanota explore: the report could not be signed: {err}", file=sys.stderr)
        return
    print(f"hanota explore: report written to {report_dir / 'exploration.html'}", file=sys.stderr)
