"""Steps of features/resilience.feature: a download interrupted (the device switched off and on,
the hub restarting or falling silent), and the checks of how the device comes through
(conformance.harness.resilience). Thin glue, as in device_steps."""

from __future__ import annotations

from pytest_bdd import parsers, then, when

from hanota.conformance import params as p
from hanota.conformance.harness import Harness
from hanota.conformance.harness.resilience import Interrupt, parse_interruption


# ------------------------------------------------------------------------------ interruptions
@when(parsers.parse('the download is interrupted by {interruption} after "{done}" of the image have been '
                    'downloaded'), converters={"interruption": parse_interruption, "done": p.parse_size})
def interrupted(harness: Harness, interruption: Interrupt, done: p.Size) -> None:
    harness.resilience.interrupt(interruption, harness.size_bytes(done))


@when("the device is switched off and on")
def power_cycle(harness: Harness) -> None:
    harness.resilience.power_cycle()


# ------------------------------------------------------------------------------ checks
@then("the device takes the download up again")
def taken_up(harness: Harness) -> None:
    problem = harness.resilience.check_taken_up()
    assert problem is None, problem


@then("every Image Block Request names an offered image and continues from the data received of it")
def no_mix(harness: Harness) -> None:
    problem = harness.resilience.check_no_mix()
    assert problem is None, problem


@then(parsers.parse('the device stops asking for image "{label}" within the time its PICS declares'),
      converters={"label": p.parse_label})
def gave_up(harness: Harness, label: str) -> None:
    problem = harness.resilience.check_gave_up(label)
    assert problem is None, problem


@then(parsers.parse('the device refuses image "{label}" on the offer or in its Upgrade End Request'),
      converters={"label": p.parse_label})
def refused(harness: Harness, label: str) -> None:
    problem = harness.resilience.check_refused(label)
    assert problem is None, problem
