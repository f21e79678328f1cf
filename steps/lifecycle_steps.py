"""Steps of the upgrade's stages and the attributes read at each (features/upgrade_status.feature),
and of the Image Page Request and device-specific files (features/page_and_specific_files.feature).

Thin glue: parse (conformance.params), act or check through ``harness.lifecycle``; every check
returns None or a message naming the expectation with the decoded evidence against it.
"""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from hanota.conformance import params as p
from hanota.conformance.harness import Harness
from hanota.protocol.errors import HarnessUsageError
from hanota.protocol.zcl import ImageUpgradeStatus

_WILDCARD_FIELDS = {"manufacturer code": "manufacturer_code", "image type": "image_type",
                    "file version": "file_version"}


def _wildcards(text: str) -> frozenset[str]:
    """'manufacturer code, image type and file version' -> the field names."""
    names = [n.strip() for n in text.replace(" and ", ", ").split(",")]
    unknown = [n for n in names if n not in _WILDCARD_FIELDS]
    if unknown or not names:
        raise HarnessUsageError(f"wildcard fields: {unknown or text!r} is not one of "
                                  f"{', '.join(_WILDCARD_FIELDS)}")
    return frozenset(_WILDCARD_FIELDS[n] for n in names)


# ------------------------------------------------------------------------------ the hub's script
@given("the hub answers the Upgrade End Request only when the scenario says")
def hold_end_response(harness: Harness) -> None:
    harness.lifecycle.hold_end_response()


@given(parsers.parse("the hub names the image with wildcards for its {fields} in the Upgrade End "
                     "Response"), converters={"fields": _wildcards})
def wildcard_end_response(harness: Harness, fields: frozenset[str]) -> None:
    harness.lifecycle.wildcard_end_response(fields)


# ------------------------------------------------------------------------------ stages
@when(parsers.parse('the device has downloaded "{size}" of the image'), converters={"size": p.parse_size})
def downloaded_part(harness: Harness, size: p.Size) -> None:
    harness.lifecycle.run_until_served(harness.size_bytes(size))


@when("the device has sent its Upgrade End Request")
def end_request_sent(harness: Harness) -> None:
    harness.lifecycle.run_until_end_request()


@when("the hub answers the Upgrade End Request")
def end_request_answered(harness: Harness) -> None:
    harness.lifecycle.answer_end_request()


# ------------------------------------------------------------------------------ what the device reports
@then(parsers.parse('the device reports ImageUpgradeStatus "{status}" with the attributes of the '
                    'download of image "{label}"'),
      converters={"status": p.parse_upgrade_status, "label": p.parse_label})
def reports_stage(harness: Harness, status: ImageUpgradeStatus, label: str) -> None:
    problem = harness.lifecycle.check_stage(status, label)
    assert problem is None, problem


@then(parsers.parse('while it waits, the device asks again for image "{label}" at least every "{period}"'),
      converters={"label": p.parse_label, "period": p.parse_duration})
def asks_again(harness: Harness, label: str, period: p.Duration) -> None:
    problem = harness.lifecycle.check_repolls(label, harness.ms(period))
    assert problem is None, problem


# ------------------------------------------------------------------------------ Image Page Request
@given("the hub serves Image Page Requests")
def serves_pages(harness: Harness) -> None:
    harness.transfer.serve_pages()


@given(parsers.parse("the hub serves Image Page Requests with only the first {count:d} blocks of each page"))
def serves_short_pages(harness: Harness, count: int) -> None:
    harness.transfer.serve_pages(count)


@then(parsers.parse('every Image Page Request names image "{label}" and continues from the data received'),
      converters={"label": p.parse_label})
def page_requests_continue(harness: Harness, label: str) -> None:
    problem = harness.transfer.check_page_requests(label)
    assert problem is None, problem


@then("the device asks for no page while the hub is still sending the one before")
def no_page_overlap(harness: Harness) -> None:
    problem = harness.transfer.check_no_page_overlap()
    assert problem is None, problem


# ------------------------------------------------------------------------------ device-specific files
@given(parsers.parse('the hub holds a device-specific file "{label}" of "{size}" for the device'),
       converters={"label": p.parse_label, "size": p.parse_size})
def hub_holds_specific_file(harness: Harness, label: str, size: p.Size) -> None:
    harness.transfer.give_specific_file(label, harness.size_bytes(size))


@then("every Query Device Specific File Request names the device, its manufacturer code, the image "
      "type it declares and a ZigBee stack version")
def specific_query_names_device(harness: Harness) -> None:
    problem = harness.transfer.check_specific_query()
    assert problem is None, problem


@then("the device asks for no image block or page")
def nothing_downloaded(harness: Harness) -> None:
    problem = harness.transfer.check_nothing_downloaded()
    assert problem is None, problem


@then(parsers.parse('the device downloads file "{label}" by Image Block Requests naming it and ends with '
                    'Upgrade End Request SUCCESS'), converters={"label": p.parse_label})
def specific_file_downloaded(harness: Harness, label: str) -> None:
    problem = harness.transfer.check_specific_downloaded(label)
    assert problem is None, problem
