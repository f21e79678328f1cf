"""DCC-side steps: Service Requests, the DCC's answers, what reaches the hub, alerts, inventory.

Thin glue: each step binds a phrasing (parameters parsed by ``conformance.params``; ``"{x:q}"`` is
a quoted parameter) to the harness's DCC observer (``Harness.dcc``,
``conformance/harness/dcc.py``), which acts through ``conformance.dcc_side`` and returns None or
a message naming the expectation with the evidence. Loaded through the root conftest.
"""

from __future__ import annotations

from collections.abc import Callable

from pytest_bdd import given, parsers, then, when

from hanota.conformance import params as p
from hanota.conformance.harness import Harness


def _step(text: str) -> parsers.parse:
    """A step pattern: ``"{name:q}"`` a quoted parameter, ``{name}`` unquoted words."""
    return parsers.parse(text, extra_types=p.STEP_TYPES)


def _ok(problem: str | None) -> None:
    assert problem is None, problem


# ------------------------------------------------------------------------------ Given
@given(_step("there are {count} premises like this one"), converters={"count": p.parse_count})
def given_more_premises(harness: Harness, count: int) -> None:
    harness.dcc.more_premises(count)


@given("the device fails to activate the next image")
def given_activation_fails(harness: Harness) -> None:
    harness.dcc.fail_next_activation()


@given(_step('the device is cut off the HAN "{point:q}"'))
def given_cut_off(harness: Harness, point: str) -> None:
    harness.dcc.cut_off(point)


@given(_step('the other device is "{other:q}"'))
def given_other_device(harness: Harness, other: str) -> None:
    harness.dcc.add_other_device(other)


# ------------------------------------------------------------------------------- When
@when(_step('"{supplier:q}" requests a firmware update of {target} with image "{label:q}"'),
      converters={"supplier": p.parse_supplier, "target": p.parse_target, "label": p.parse_label})
def when_supplier_requests(harness: Harness, supplier: str, target: p.Target, label: str) -> None:
    harness.dcc.request_update(supplier, target, label)


@when(_step('the hub discards image "{label:q}" because "{reason:q}"'),
      converters={"label": p.parse_label, "reason": p.parse_discard_reason})
def when_hub_discards(harness: Harness, label: str, reason: p.DiscardReason) -> None:
    harness.dcc.discard_on_hub(label, reason)


@when(_step('"{supplier:q}" sends the Service Request for image "{label:q}" with "{irregularity:q}"'),
      converters={"supplier": p.parse_supplier, "label": p.parse_label, "irregularity": p.parse_irregularity})
def when_irregular_request(harness: Harness, supplier: str, label: str, irregularity: p.Irregularity) -> None:
    harness.dcc.send_irregular(supplier, label, irregularity)


@when(_step('"{supplier:q}" activates image "{label:q}" on the device with "{image_hash:q}"'),
      converters={"supplier": p.parse_supplier, "label": p.parse_label, "image_hash": p.parse_image_hash})
def when_activates(harness: Harness, supplier: str, label: str, image_hash: p.ImageHash) -> None:
    harness.dcc.activate(supplier, label, image_hash)


# ------------------------------------------------------------------------------- Then: the DCC's answer
@then(_step('the DCC accepts the Service Request from "{supplier:q}"'),
      converters={"supplier": p.parse_supplier})
def then_dcc_accepts(harness: Harness, supplier: str) -> None:
    _ok(harness.dcc.check_accepted(supplier))


@then(_step('the DCC rejects the Service Request from "{supplier:q}"'),
      converters={"supplier": p.parse_supplier})
def then_dcc_rejects(harness: Harness, supplier: str) -> None:
    _ok(harness.dcc.check_rejected(supplier))


@then(_step('the DCC rejects the Service Request from "{supplier:q}" because "{reason:q}"'),
      converters={"supplier": p.parse_supplier, "reason": p.parse_rejection_reason})
def then_rejects_because(harness: Harness, supplier: str, reason: p.RejectionReason) -> None:
    _ok(harness.dcc.check_rejected_because(supplier, reason))


@then(_step('the DCC accepts the Service Request from "{supplier:q}" for the device only, listing the '
            'other device in "{warning_list:q}"'), converters={"supplier": p.parse_supplier})
def then_accepts_listing(harness: Harness, supplier: str, warning_list: str) -> None:
    _ok(harness.dcc.check_accepted_listing_other(supplier, warning_list))


@then(_step('the Service Request from "{supplier:q}" does not override the distribution of image '
            '"{label:q}"'), converters={"supplier": p.parse_supplier, "label": p.parse_label})
def then_no_override(harness: Harness, supplier: str, label: str) -> None:
    _ok(harness.dcc.check_no_override(supplier, label))


# ------------------------------------------------------------------------------- Then: what reaches the hub
@then(_step('image "{label:q}" reaches the hub whole'), converters={"label": p.parse_label})
def then_reaches_hub_whole(harness: Harness, label: str) -> None:
    _ok(harness.dcc.check_reaches_hub_whole(label))


@then(_step('image "{label:q}" does not reach the hub whole'), converters={"label": p.parse_label})
def then_not_whole(harness: Harness, label: str) -> None:
    _ok(harness.dcc.check_reaches_hub_whole(label, whole=False))


@then(_step('image "{label:q}" reaches the hub in at least {count} fragments of at most "{size:q}" each'),
      converters={"label": p.parse_label, "count": p.parse_count, "size": p.parse_size})
def then_reaches_hub_in_fragments(harness: Harness, label: str, count: int, size: p.Size) -> None:
    _ok(harness.dcc.check_reaches_hub_in_fragments(label, count, size))


# ------------------------------------------------------------------------------- Then: alerts
_ALERT: dict[str, Callable[[str], object]] = {
    "supplier": p.parse_supplier, "alert": p.parse_alert, "label": p.parse_label}


@then(_step('"{supplier:q}" receives alert "{alert:q}" about image "{label:q}"'), converters=_ALERT)
def then_receives_alert(harness: Harness, supplier: str, alert: p.Alert, label: str) -> None:
    _ok(harness.dcc.check_alert_received(supplier, alert, label))


@then(_step('"{supplier:q}" receives alert "{alert:q}" about image "{label:q}" within "{duration:q}"'),
      converters=_ALERT)
def then_receives_alert_within(harness: Harness, supplier: str, alert: p.Alert, label: str,
                               duration: str) -> None:
    _ok(harness.dcc.check_alert_received(supplier, alert, label, within=duration))


@then(_step('"{supplier:q}" receives no alert "{alert:q}" about image "{label:q}"'), converters=_ALERT)
def then_receives_no_alert(harness: Harness, supplier: str, alert: p.Alert, label: str) -> None:
    _ok(harness.dcc.check_no_alert(supplier, alert, label))


@then(_step('alert "{alert:q}" to "{supplier:q}" reports the file version of image "{label:q}"'),
      converters=_ALERT)
def then_alert_reports_version(harness: Harness, alert: p.Alert, supplier: str, label: str) -> None:
    _ok(harness.dcc.check_alert_version(alert, supplier, label))


@then(_step('alert "{alert:q}" to "{supplier:q}" about image "{about:q}" reports the file version of '
            'image "{label:q}"'), converters={**_ALERT, "about": p.parse_label})
def then_alert_about_reports_version(harness: Harness, alert: p.Alert, supplier: str, about: str,
                                     label: str) -> None:
    _ok(harness.dcc.check_alert_about_version(alert, supplier, about, label))


@then(_step('alert "{alert:q}" to "{supplier:q}" reports activateImage "{value:q}"'),
      converters={**_ALERT, "value": p.parse_result})
def then_alert_reports_activate_image(harness: Harness, alert: p.Alert, supplier: str, value: int) -> None:
    _ok(harness.dcc.check_alert_field(alert, supplier, "activateImage", value))


@then(_step('alert "{alert:q}" to "{supplier:q}" reports CS08 response code "{value:q}"'),
      converters={**_ALERT, "value": p.parse_result})
def then_alert_reports_read_code(harness: Harness, alert: p.Alert, supplier: str, value: int) -> None:
    _ok(harness.dcc.check_alert_field(alert, supplier, "CS08 response code", value))


@then("each alert is addressed to one Supplier only")
def then_alerts_individual(harness: Harness) -> None:
    _ok(harness.dcc.check_alerts_individual())


@then(_step('the alerts "{alert:q}" to "{supplier:q}" are at least "{duration:q}" apart'), converters=_ALERT)
def then_alerts_staggered(harness: Harness, alert: p.Alert, supplier: str, duration: str) -> None:
    _ok(harness.dcc.check_alerts_staggered(alert, supplier, duration))


@then(_step('"{supplier:q}" receives DCC alert "{code:q}" about image "{label:q}" with CCS08 response '
            'code "{name:q}"'), converters={**_ALERT, "name": p.parse_ccs08_code})
def then_receives_dcc_alert(harness: Harness, supplier: str, code: str, label: str, name: int) -> None:
    _ok(harness.dcc.check_dcc_alert(supplier, code, label, name))


@then(_step('"{supplier:q}" receives the activation outcome "{code:q}" about image "{label:q}"'),
      converters={**_ALERT, "code": p.parse_activation_outcome})
def then_activation_outcome(harness: Harness, supplier: str, code: int, label: str) -> None:
    _ok(harness.dcc.check_activation_outcome(supplier, code, label))


# ------------------------------------------------------------------------------- Then: the inventory
@then(_step('the inventory records the file version of image "{label:q}" for the device'),
      converters={"label": p.parse_label})
def then_inventory_records(harness: Harness, label: str) -> None:
    _ok(harness.dcc.check_inventory_records(label))


@then("the inventory does not change for the device")
def then_inventory_unchanged(harness: Harness) -> None:
    _ok(harness.dcc.check_inventory_unchanged())


# ------------------------------------------------------------------------------- Then: GBCS on the WAN
@then(_step('the hub reports CCS08 alert "{alert:q}" with response code "{code:q}" for the device'),
      converters={"alert": p.parse_gbcs_alert_code, "code": p.parse_ccs08_code})
def then_hub_reports_ccs08(harness: Harness, alert: int, code: int) -> None:
    _ok(harness.dcc.check_hub_ccs08(alert, code))


@then(_step('the DCC reads the firmware version of the device with CS08 and gets response code "{name:q}"'),
      converters={"name": p.parse_result})
def then_cs08_read(harness: Harness, name: int) -> None:
    _ok(harness.dcc.check_cs08_read(name))


@then(_step('the hub reports alert 0x8F8B for the device with activateImage "{result:q}"'),
      converters={"result": p.parse_result})
def then_hub_reports_8f8b(harness: Harness, result: int) -> None:
    _ok(harness.dcc.check_hub_8f8b(result))
