"""Device-side steps: what the hub the suite plays does, and what the device under test sends.

Thin glue: parse (conformance.params), act or check through the harness; every check returns
None or a message naming the expectation with the decoded evidence against it.
"""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from hanota.conformance import params as p
from hanota.conformance.harness import Harness
from hanota.protocol.ota_commands import encode_image_identity
from hanota.protocol.zcl import Status


# ------------------------------------------------------------------------------ the hub's script
@given(parsers.parse('the hub sets the minimum block period to "{period}"'),
       converters={"period": p.parse_duration})
def minimum_block_period(harness: Harness, period: p.Duration) -> None:
    harness.script.minimum_block_period_ms = harness.ms(period)


@given(parsers.parse('the hub answers the next {count} Image Block Requests with WAIT_FOR_DATA for '
                     '"{wait}"'), converters={"count": p.parse_count, "wait": p.parse_duration})
def wait_for_data(harness: Harness, count: int, wait: p.Duration) -> None:
    harness.set_wait_for_data(count, wait)


@given(parsers.parse('the hub answers the next "{command}" with status "{status}"'),
       converters={"command": p.parse_ota_command, "status": p.parse_status})
def answer_with_status(harness: Harness, command: int, status: Status) -> None:
    harness.answer_next(command, status)


@given(parsers.parse('the hub answers the next "{command}" with the frame "{frame}"'),
       converters={"command": p.parse_ota_command, "frame": p.parse_hex_frame})
def answer_with_frame(harness: Harness, command: int, frame: p.HexFrame) -> None:
    def identity(label: str) -> bytes:  # the image as the scenario built it for this device
        info = harness.image(label)
        return encode_image_identity(info.manufacturer_code, info.image_type, info.file_version)

    harness.answer_next(command, frame.render(identity, harness.dut.manufacturer_code))


@given(parsers.parse("the hub appends {count:d} octets to every frame it sends"))
def append_octets(harness: Harness, count: int) -> None:
    harness.append_octets(count)


@given(parsers.parse('the hub will set the upgrade time to "{when}"'),
       converters={"when": p.parse_upgrade_time})
def upgrade_time(harness: Harness, when: p.UpgradeTime) -> None:
    harness.set_upgrade_time(when)


@given(parsers.parse("the hub notifies with payload type {payload_type:d} and query jitter {jitter:d}"))
def notify_with(harness: Harness, payload_type: int, jitter: int) -> None:
    harness.notify_with(payload_type, jitter)


@given(parsers.parse('the hub serves blocks shorter than the device asks by "{shortfalls}" octets in turn'),
       converters={"shortfalls": p.parse_count_list})
def varying_blocks(harness: Harness, shortfalls: tuple[int, ...]) -> None:
    harness.short_blocks(shortfalls)


@given("the hub answers every request just within the device's response timeout")
def answer_at_timeout_edge(harness: Harness) -> None:
    harness.answer_at_timeout_edge()


# ------------------------------------------------------------------------------ offers and events
@when(parsers.parse('{source} offers image "{label}" to the device'),
      converters={"source": p.parse_source, "label": p.parse_label})
def offers_image(harness: Harness, source: p.Source, label: str) -> None:
    if source is p.Source.HUB:
        harness.offer(label)
    else:
        harness.offer_from_other_node(label, hand_held_terminal=source is p.Source.HHT)


@when(parsers.parse('the hub offers the fragments of image "{label}" in the order "{order}"'),
      converters={"label": p.parse_label, "order": p.parse_fragment_order})
def offers_fragments(harness: Harness, label: str, order: tuple[int, ...]) -> None:
    harness.offer(label, order)


@when(parsers.parse('the link to the hub is lost for "{outage}" after "{done}" of the image have '
                    'been downloaded'), converters={"outage": p.parse_duration, "done": p.parse_size})
def link_lost(harness: Harness, outage: p.Duration, done: p.Size) -> None:
    harness.lose_link(outage, done)


@when(parsers.parse('the hub sends a further Upgrade End Response with upgrade time "{when}"'),
      converters={"when": p.parse_upgrade_time})
def further_upgrade_end_response(harness: Harness, when: p.UpgradeTime) -> None:
    harness.further_upgrade_end_response(when)


@when("the consumer refuses the upgrade on the device")
def consumer_refuses(harness: Harness) -> None:
    harness.consumer_refuses()


# ------------------------------------------------------------------------------ what the device does
@then(parsers.parse('the device reports ImageUpgradeStatus "{status}"'),
      converters={"status": p.parse_upgrade_status})
def reports_upgrade_status(harness: Harness, status: object) -> None:
    read = harness.image_upgrade_status()
    assert read == status, (f"expected ImageUpgradeStatus {status!s} but Read Attributes gave "
                            f"{read.name}; {harness.last_frames()}")


@then("the device sends a Query Next Image Request with its manufacturer code, image type and "
      "current file version")
def sends_query(harness: Harness) -> None:
    problem = harness.check_query()
    assert problem is None, problem


@then(parsers.parse('every Image Block Request names image "{label}" and continues from the data '
                    'received'), converters={"label": p.parse_label})
def block_requests_continue(harness: Harness, label: str) -> None:
    problem = harness.check_block_requests(label)
    assert problem is None, problem


@then(parsers.parse('no two Image Block Requests are less than "{period}" apart'),
      converters={"period": p.parse_duration})
def block_spacing(harness: Harness, period: p.Duration) -> None:
    problem = harness.check_block_spacing(period)
    assert problem is None, problem


@then("no Image Block Request is sent before the request time of the WAIT_FOR_DATA response")
def honours_wait_for_data(harness: Harness) -> None:
    problem = harness.check_wait_for_data()
    assert problem is None, problem


@then("the device repeats no request before its response timeout has run out")
def patient(harness: Harness) -> None:
    problem = harness.check_patience()
    assert problem is None, problem


@then("the device resumes at the file offset it had reached")
def resumes(harness: Harness) -> None:
    problem = harness.check_resumed()
    assert problem is None, problem


@then(parsers.parse('the device sends an Upgrade End Request with status "{status}"'),
      converters={"status": p.parse_status})
def upgrade_end_status(harness: Harness, status: Status) -> None:
    problem = harness.check_upgrade_end(status)
    assert problem is None, problem


@then(parsers.parse('the device sends no Default Response with status "{status}"'),
      converters={"status": p.parse_status})
def no_default_response_status(harness: Harness, status: Status) -> None:
    problem = harness.check_no_default_response(status)
    assert problem is None, problem


@then(parsers.parse('the device answers with a Default Response with status "{status}"'),
      converters={"status": p.parse_status})
def default_response_status(harness: Harness, status: Status) -> None:
    problem = harness.check_default_response(status)
    assert problem is None, problem


@then("every frame the device sent carries the fields the OTA cluster defines for it")
def frames_carry_their_fields(harness: Harness) -> None:
    problem = harness.check_frames()
    assert problem is None, problem


@when("the hub reads every OTA attribute of the device")
def reads_every_attribute(harness: Harness) -> None:
    harness.read_every_attribute()


@then(parsers.parse('the device does not download image "{label}"'), converters={"label": p.parse_label})
def does_not_download(harness: Harness, label: str) -> None:
    problem = harness.check_not_downloaded(label)
    assert problem is None, problem
