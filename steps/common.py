"""Shared fixtures and steps: premises, pairing, images, time, and the running version.

Loaded for every scenario through the root conftest (``pytest_plugins``). Steps stay thin:
parse (conformance.params), call the harness, assert on a decoded value.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator

import pytest
from pytest_bdd import given, parsers, then, when

from hanota.conformance import params as p
from hanota.conformance.harness import Harness
from hanota.conformance.plugin import dut_for_worker, harness_key


@pytest.fixture
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    """The scenario's harness, configured from the run's options (see conformance/plugin.py)."""
    opt = request.config.getoption
    sides = [str(m.args[0]) for m in request.node.iter_markers("side")]
    h = Harness(pics=request.config.hanota_pics,  # type: ignore[attr-defined]
                rules=opt("--hanota-rules"), seed=opt("--hanota-seed"),
                device_faults=opt("--hanota-device-fault"), dcc_faults=opt("--hanota-dcc-fault"),
                hub_faults=opt("--hanota-hub-fault"), dut=dut_for_worker(request.config),
                side=sides[0] if sides else "device",
                pixit=request.config.hanota_dcc_pixit.durations,  # type: ignore[attr-defined]
                dcc=opt("--hanota-dcc"), duis={"pixit": opt("--hanota-duis-pixit"),
                                               "listen": opt("--hanota-duis-listen"),
                                               "schema": opt("--hanota-duis-schema")})
    h.progress = _terminal_line(request.config)
    request.node.stash[harness_key] = h  # the plugin attaches h.evidence() to the result
    yield h
    h.close()
    # Items live as long as the session: a harness left in the stash would keep its whole world
    # (images, frame logs, premises) until the run ends, about 1 GB over the suite.
    del request.node.stash[harness_key]


def _terminal_line(config: pytest.Config) -> Callable[[str], None]:
    """Progress lines of long downloads, shown on the terminal while the scenario runs (output
    capture suspended for the line). An xdist worker has no terminal reporter: its lines go to
    its stderr, which reaches the terminal, prefixed with the worker's name."""
    reporter = config.pluginmanager.getplugin("terminalreporter")
    capture = config.pluginmanager.getplugin("capturemanager")
    worker = getattr(config, "workerinput", {}).get("workerid")
    prefix = f"hanota [{worker}]: " if worker else "hanota: "

    def line(text: str) -> None:
        if capture is None:
            print(prefix + text, file=sys.stderr, flush=True)
            return
        with capture.global_and_fixture_disabled():
            if reporter is not None:
                reporter.write_line(prefix + text)
            else:
                print(prefix + text, file=sys.stderr, flush=True)

    return line


# ------------------------------------------------------------------------------ premises
@given(parsers.parse('a premises whose electricity meter is supplied by "{electricity}" and whose '
                     'gas meter is supplied by "{gas}"'),
       converters={"electricity": p.parse_supplier, "gas": p.parse_supplier})
def premises_dual_fuel(harness: Harness, electricity: str, gas: str) -> None:
    harness.premises(electricity, gas)


@given(parsers.parse('a premises whose electricity meter is supplied by "{electricity}" and which '
                     'has no gas meter'), converters={"electricity": p.parse_supplier})
def premises_electricity_only(harness: Harness, electricity: str) -> None:
    harness.premises(electricity, None)


@given(parsers.parse("the {kind} is paired with the hub and every meter at the premises"),
       converters={"kind": p.parse_kind})
def paired(harness: Harness, kind: str | None) -> None:
    harness.pair(kind)


# ------------------------------------------------------------------------------ images
@given(parsers.parse('a signed image "{label}" of "{size}" with a {relation} file version'),
       converters={"label": p.parse_label, "size": p.parse_size, "relation": p.parse_relation})
def signed_image(harness: Harness, label: str, size: p.Size, relation: p.Relation) -> None:
    harness.make_image(label, size, relation)


@given(parsers.parse('a signed ZigBee OTA image "{label}" of "{size}" with a {relation} file version'),
       converters={"label": p.parse_label, "size": p.parse_size, "relation": p.parse_relation})
def signed_zigbee_image(harness: Harness, label: str, size: p.Size, relation: p.Relation) -> None:
    harness.make_image(label, size, relation, zigbee=True)


@given(parsers.parse('image "{label}" is a device-specific file for {recipient}'),
       converters={"label": p.parse_label, "recipient": p.parse_recipient})
def device_specific_image(harness: Harness, label: str, recipient: p.Recipient) -> None:
    harness.address_image(label, recipient)


@given(parsers.parse('image "{label}" is altered so that "{defect}"'),
       converters={"label": p.parse_label, "defect": p.parse_defect})
def altered_image(harness: Harness, label: str, defect: p.Defect) -> None:
    harness.alter_image(label, defect)


@given(parsers.parse('image "{label}" is split into {count} fragments'),
       converters={"label": p.parse_label, "count": p.parse_count})
def split_image(harness: Harness, label: str, count: int) -> None:
    harness.split_image(label, count)


# ------------------------------------------------------------------------------ time
@when("the download runs to its end")
def download_runs_to_end(harness: Harness) -> None:
    harness.run_download_to_end()


@when(parsers.parse('"{duration}" pass'), converters={"duration": p.parse_duration})
def time_passes(harness: Harness, duration: p.Duration) -> None:
    harness.advance(harness.ms(duration))


# ------------------------------------------------------------------------------ the running version
@given(parsers.parse('the device runs image "{label}"'), converters={"label": p.parse_label})
@then(parsers.parse('the device runs image "{label}"'), converters={"label": p.parse_label})
def device_runs_image(harness: Harness, label: str) -> None:
    expected, read = harness.version_of(label), harness.current_file_version()
    assert read == expected, (
        f"expected the device to run image {label!r} (file version 0x{expected:08x}) but "
        f"CurrentFileVersion read back 0x{read:08x}; {harness.last_frames()}")


@then("the version the device reports is the one the inventory records for it")
def device_matches_inventory(harness: Harness) -> None:
    """Both sides observed: CurrentFileVersion read from the device (which its behaviour can
    change), and the DCC's inventory record of it."""
    problem = harness.dcc.check_inventory_matches(harness.current_file_version(), harness.last_frames)
    assert problem is None, problem
