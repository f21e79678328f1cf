"""DCC-side steps: Service Requests, the DCC's answers, what reaches the hub, alerts, inventory.

Thin glue: parse with ``conformance.params``, act or observe through ``conformance.dcc_side``
(the API an HTTP binding of a DCC's test system implements too), assert with a message that
names the expectation in plain words and shows the evidence. Loaded through the root conftest.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Sequence
from typing import Any

import pytest
from pytest_bdd import given, parsers, then, when

from hanota.conformance import params
from hanota.conformance.adapters.base import DutNotApplicableError
from hanota.conformance.dcc_side import (
    AlertSeen,
    DccSide,
    ReferenceDccSide,
    SubmittedRequest,
    add_premises_like,
    describe_response,
    format_alerts,
    gbcs_frames_of,
    is_kind,
)
from hanota.conformance.models import gbcs_wan
from hanota.conformance.models.service_request import (
    Acknowledged,
    Rejected,
    RejectReason,
    RequestVariant,
    SupplierRole,
    WarningResponse,
)
from hanota.protocol import gbcs
from hanota.protocol.errors import HarnessUsageError, ProtocolError
from hanota.protocol.fragments import parse_fragment
from hanota.protocol.ota_image import parse_image


def _re(text: str) -> Any:
    """A step pattern: ``{name}`` is a quoted parameter (no quote inside), ``<name>`` unquoted words."""
    parts = re.split(r"(\{\w+\}|<\w+>)", text)
    out = []
    for part in parts:
        if part.startswith("{") and part.endswith("}"):
            out.append(f'"(?P<{part[1:-1]}>[^"]+)"')
        elif part.startswith("<") and part.endswith(">"):
            out.append(f"(?P<{part[1:-1]}>.+?)")
        else:
            out.append(re.escape(part))
    return parsers.re("^" + "".join(out) + "$")


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture
def dcc(harness: Any) -> DccSide:
    """The DCC side of this scenario: the DCC test system over HTTP the harness connected to
    (``--hanota-dcc``), else the reference DCC of its world (built on first use, after the
    premises steps)."""
    side: DccSide | None = getattr(harness, "dcc_side", None)
    if side is None:
        reference = ReferenceDccSide(harness.world, rules=harness.rules)
        harness.dcc_side = side = reference
        harness.evidence_sources.append(
            lambda: [{"kind": "dcc", "text": line} for line in reference.evidence()])
        harness.evidence_sources.append(reference.gbcs_evidence)
        harness.download_probes.append(reference.transfer_pending)
    return side


def _ms(harness: Any, text: str) -> int:
    return int(harness.ms(params.parse_duration(text)))


def _targets(harness: Any, target: params.Target) -> list[int]:
    """The device, or the same device of every premises (the load scenarios)."""
    device = harness.device
    if target is params.Target.DEVICE:
        return [device.eui64]
    if target is params.Target.DEVICE_TWICE:
        return [device.eui64, device.eui64]
    if target is params.Target.DEVICE_AND_OTHER:
        other = getattr(harness, "other_device", None)
        if other is None:
            raise HarnessUsageError("no other device in this scenario (Given the other device is ...)")
        return [device.eui64, other]
    key = next(k for k, d in harness.world.first.devices.items() if d.eui64 == device.eui64)
    return [p.devices[key].eui64 for p in harness.world.premises]


def _requests_of(dcc: DccSide, label: str) -> list[SubmittedRequest]:
    return [r for r in dcc.requests() if r.label == label]


def _latest(dcc: DccSide, supplier: str) -> SubmittedRequest:
    sent = dcc.requests(supplier)
    if not sent:
        raise HarnessUsageError(f"{supplier!r} has sent no Service Request in this scenario")
    return sent[-1]


def _about(dcc: DccSide, supplier: str, alert: str, label: str) -> list[AlertSeen]:
    ids = {r.request_id for r in _requests_of(dcc, label)}
    return [a for a in dcc.alerts_for(supplier) if a.request_id in ids and is_kind(a, alert)]


def _context(dcc: DccSide, supplier: str | None = None) -> str:
    suppliers = [supplier] if supplier else dcc.suppliers()
    alerts = "\n".join(f"alerts received by {s!r} so far (now {dcc.now_ms()} ms):\n"
                       f"{format_alerts(dcc.alerts_for(s))}" for s in suppliers)
    sent = "\n".join(f"  {r.describe()}" for r in dcc.requests()) or "  (none)"
    return f"Service Requests:\n{sent}\n{alerts}"


def _version(harness: Any, label: str) -> int:
    try:
        return int(harness.image_versions[label])
    except KeyError:
        raise HarnessUsageError(f"no image {label!r} in this scenario") from None


# ------------------------------------------------------------------------------ Given
@given(parsers.re(r"^there are (?P<count>\d+) premises like this one$"))
def given_more_premises(harness: Any, count: str) -> None:
    more = params.parse_count(count) - len(harness.world.premises)
    first = harness.world.first
    added = add_premises_like(harness.world, first, more, device_faults=sorted(harness.device_faults))
    remote = getattr(harness, "remote_dcc", None)
    if remote is not None:  # the same premises on the DCC test system (the local world is its twin)
        kinds = [first.specs[d.eui64].kind for d in first.devices.values()]
        gas = first.gas_meter.supplier if first.gas_meter is not None else None
        fragmentation = bool(getattr(next(iter(first.devices.values())), "supports_fragmentation", False))
        for _ in added:  # with the options add_premises_like gives the twin
            remote.add_premises(electricity_supplier=first.electricity_meter.supplier, gas_supplier=gas,
                                devices=kinds, supports_fragmentation=fragmentation,
                                device_faults=sorted(harness.device_faults),
                                hub_faults=sorted(harness.hub_faults))


@given("the device fails to activate the next image")
def given_activation_fails(harness: Any, dcc: DccSide) -> None:
    dcc.fail_next_activation(harness.device.eui64)


# ------------------------------------------------------------------------------- When
@when(_re("{supplier} requests a firmware update of <target> with image {label}"))
def when_supplier_requests(harness: Any, dcc: DccSide, supplier: str, target: str,
                           label: str) -> None:
    label = params.parse_label(label)
    dcc.submit(params.parse_supplier(supplier), _targets(harness, params.parse_target(target)),
               harness.images[label], label=label, file_version=_version(harness, label))


@when(_re("the hub discards image {label} because {reason}"))
def when_hub_discards(dcc: DccSide, label: str, reason: str) -> None:
    ids = [r.request_id for r in _requests_of(dcc, params.parse_label(label)) if r.accepted_devices]
    dcc.discard_on_hub(ids, params.parse_discard_reason(reason).value)


# ------------------------------------------------------------------------------- Then
@then(_re("the DCC accepts the Service Request from {supplier}"))
def then_dcc_accepts(dcc: DccSide, supplier: str) -> None:
    sent = _latest(dcc, params.parse_supplier(supplier))
    assert isinstance(sent.response, Acknowledged), (
        f"expected the DCC to accept (acknowledge) the Service Request from {supplier!r}, but it answered "
        f"{describe_response(sent.response)}\n  {sent.describe()}")


@then(_re("the DCC rejects the Service Request from {supplier}"))
def then_dcc_rejects(dcc: DccSide, supplier: str) -> None:
    sent = _latest(dcc, params.parse_supplier(supplier))
    assert isinstance(sent.response, Rejected), (
        f"expected the DCC to reject the Service Request from {supplier!r} as a whole, but it answered "
        f"{describe_response(sent.response)}\n  {sent.describe()}")


@then(_re("image {label} reaches the hub whole"))
def then_reaches_hub_whole(harness: Any, dcc: DccSide, label: str) -> None:
    whole = _whole_deliveries(harness, dcc, params.parse_label(label))
    assert any(d.stored_by_hub for d in whole), (
        f"expected image {label!r} ({len(harness.images[label])} bytes) to reach the hub whole and be "
        f"stored there, but it did not\n{_wan(dcc)}\n{_context(dcc)}")


@then(_re("image {label} does not reach the hub whole"))
def then_not_whole(harness: Any, dcc: DccSide, label: str) -> None:
    whole = _whole_deliveries(harness, dcc, params.parse_label(label))
    assert not whole, (
        f"expected image {label!r} ({len(harness.images[label])} bytes) to be refused or sent only in "
        f"fragments, but the DCC sent it to the hub whole\n{_wan(dcc)}\n{_context(dcc)}")


@then(parsers.re(r'^image "(?P<label>[^"]+)" reaches the hub in at least (?P<count>\d+) fragments '
                 r'of at most "(?P<size>[^"]+)" each$'))
def then_reaches_hub_in_fragments(harness: Any, dcc: DccSide, label: str, count: str,
                                  size: str) -> None:
    unavailable = getattr(dcc, "fragments_unavailable", None)  # a binding with no fragments (DUIS)
    if unavailable:
        raise unavailable
    limit = params.parse_size(size).resolve(harness.max_image_bytes)
    got = _fragment_deliveries(harness, dcc, params.parse_label(label))
    assert len({i for i, _ in got}) >= params.parse_count(count) and all(n <= limit for _, n in got), (
        f"expected image {label!r} to reach the hub in at least {count} fragments of at most {limit} "
        f"bytes each, but the hub got these (fragment index, bytes): {sorted(got)}\n{_wan(dcc)}\n"
        f"{_context(dcc)}")


@then(_re("{supplier} receives alert {alert} about image {label}"))
def then_receives_alert(harness: Any, dcc: DccSide, supplier: str, alert: str, label: str) -> None:
    _check_received(dcc, params.parse_supplier(supplier), params.parse_alert(alert).value,
                    params.parse_label(label), harness.alert_service_level_ms, None)


@then(_re("{supplier} receives alert {alert} about image {label} within {duration}"))
def then_receives_alert_within(harness: Any, dcc: DccSide, supplier: str, alert: str, label: str,
                               duration: str) -> None:
    _check_received(dcc, params.parse_supplier(supplier), params.parse_alert(alert).value,
                    params.parse_label(label), _ms(harness, duration), duration)


@then(_re("{supplier} receives no alert {alert} about image {label}"))
def then_receives_no_alert(harness: Any, dcc: DccSide, supplier: str, alert: str,
                           label: str) -> None:
    kind = params.parse_alert(alert).value

    def got() -> list[AlertSeen]:
        return _about(dcc, params.parse_supplier(supplier), kind, params.parse_label(label))

    dcc.wait_until(lambda: bool(got()), dcc.now_ms() + harness.alert_service_level_ms)
    assert not got(), (f"expected {supplier!r} to receive no alert {alert} about image {label!r} (waited "
                       f"the alert service level), but it received:\n{format_alerts(got())}\n"
                       f"{_context(dcc, supplier)}")


@then(_re("alert {alert} to {supplier} reports the file version of image {label}"))
def then_alert_reports_version(harness: Any, dcc: DccSide, alert: str, supplier: str,
                               label: str) -> None:
    wanted, kind = _version(harness, params.parse_label(label)), params.parse_alert(alert).value
    got = [a for a in dcc.alerts_for(params.parse_supplier(supplier)) if is_kind(a, kind)]
    assert got and got[-1].file_version == wanted, (
        f"expected the latest alert {alert} to {supplier!r} to report the file version of image {label!r} "
        f"({wanted:#010x}), the version read back from the device; latest such alert: "
        f"{got[-1].describe() if got else 'none received'}\n{_context(dcc, supplier)}")


@then("each alert is addressed to one Supplier only")
def then_alerts_individual(dcc: DccSide) -> None:
    alerts = [a for s in dcc.suppliers() for a in dcc.alerts_for(s)]
    grouped = [a for a in alerts if a.recipients != (a.supplier,)]
    assert alerts and not grouped, (
        "expected every alert to be addressed to the one Supplier receiving it (individual, not grouped), "
        f"but {len(grouped)} of {len(alerts)} name other parties or none:\n{format_alerts(grouped)}\n"
        f"{_context(dcc)}")


@then(_re("the alerts {alert} to {supplier} are at least {duration} apart"))
def then_alerts_staggered(harness: Any, dcc: DccSide, alert: str, supplier: str,
                          duration: str) -> None:
    kind, gap = params.parse_alert(alert).value, _ms(harness, duration)
    times = sorted(a.delivered_ms for a in dcc.alerts_for(params.parse_supplier(supplier))
                   if is_kind(a, kind))
    close = [(t0, t1) for t0, t1 in itertools.pairwise(times) if t1 - t0 < gap]
    assert len(times) > 1 and not close, (
        f"expected the {len(times)} alerts {alert} to {supplier!r} to be staggered at least {duration} "
        f"({gap} ms) apart, but {len(close)} pair(s) are closer, e.g. delivered at {close[:5]} ms "
        f"(delivery times: {times[:20]})")


@then(_re("the inventory records the file version of image {label} for the device"))
def then_inventory_records(harness: Any, dcc: DccSide, label: str) -> None:
    wanted = _version(harness, params.parse_label(label))
    recorded = dcc.inventory_version(harness.device.eui64)
    history = "; ".join(dcc.inventory_history(harness.device.eui64)) or "none"
    assert recorded == wanted, (
        f"expected the Smart Metering Inventory to record the file version of image {label!r} "
        f"({wanted:#010x}) for the device, but it records "
        f"{'nothing' if recorded is None else f'{recorded:#010x}'}; its history: {history}\n{_context(dcc)}")


@then("the inventory does not change for the device")
def then_inventory_unchanged(harness: Any, dcc: DccSide) -> None:
    wanted = _version(harness, "original")
    recorded = dcc.inventory_version(harness.device.eui64)
    history = dcc.inventory_history(harness.device.eui64)
    assert recorded == wanted and len(history) <= 1, (
        "expected the Smart Metering Inventory to record no change for the device since it was "
        f"commissioned (file version {wanted:#010x}, the image \"original\"), but it records "
        f"{'nothing' if recorded is None else f'{recorded:#010x}'}; its history: "
        f"{'; '.join(history) or 'none'}\n{_context(dcc)}")


# ---------------------------------------------------------------------------- helpers
def _check_received(dcc: DccSide, supplier: str, alert: str, label: str, wait_ms: int,
                    within: str | None) -> None:
    """At least one such alert per device the image's request was accepted for, waiting up to
    ``wait_ms`` for alerts in transit; with ``within``, each arrived within ``wait_ms`` of the
    event it reports ((a): the request; others: when the DCC raised it)."""
    devices = {d for r in _requests_of(dcc, label) for d in r.accepted_devices}

    def missing() -> list[int]:
        got = {a.device for a in _about(dcc, supplier, alert, label)}
        return sorted(devices - got) if devices else ([] if got else [-1])

    dcc.wait_until(lambda: not missing(), dcc.now_ms() + wait_ms)
    got, absent = _about(dcc, supplier, alert, label), missing()
    late = [a for a in got if within is not None and a.delivered_ms - _event_ms(dcc, a) > wait_ms]
    how = "" if within is None else f" within {within} ({wait_ms} ms)"
    assert not absent and not late, (
        f"expected {supplier!r} to receive alert {alert} about image {label!r}{how} for each device "
        f"the request was accepted for; "
        + (f"devices with none: {[f'{d:#018x}' for d in absent if d >= 0] or 'all'}; " if absent else "")
        + (f"{len(late)} arrived late:\n{format_alerts(late)}\n" if late else "")
        + f"{_context(dcc, supplier)}")


def _event_ms(dcc: DccSide, alert: AlertSeen) -> int:
    """The time of the event an alert reports: the request for (a), else when the DCC raised it."""
    if alert.kind == "(a)":
        for r in dcc.requests():
            if r.request_id == alert.request_id:
                return r.submitted_ms
    return alert.raised_ms


def _whole_deliveries(harness: Any, dcc: DccSide, label: str) -> list[Any]:
    image = harness.images[label]
    return [d for d in dcc.hub_deliveries() if d.payload == image]


def _fragment_deliveries(harness: Any, dcc: DccSide, label: str) -> set[tuple[int, int]]:
    """(fragment index, bytes) of each fragment of the image that reached a hub whole."""
    ids = {r.request_id for r in _requests_of(dcc, label)}
    out = set()
    for d in dcc.hub_deliveries():
        if d.request_id in ids and d.payload is not None and d.stored_by_hub:
            try:
                fragment = parse_fragment(d.payload, max_bytes=None)
            except ProtocolError:  # not a fragment: not counted
                continue
            out.add((fragment.descriptor.fragment_index, len(d.payload)))
    return out


def _wan(dcc: DccSide, deliveries: Sequence[Any] | None = None) -> str:
    shown = list(dcc.hub_deliveries() if deliveries is None else deliveries)
    lines = "\n".join(f"  {d.describe()}" for d in shown[:20]) or "  (nothing)"
    return f"what the DCC sent to hubs over the WAN:\n{lines}"


@then(_re("the Service Request from {supplier} does not override the distribution of image {label}"))
def then_no_override(harness: Any, dcc: DccSide, supplier: str, label: str) -> None:
    """What happened to the later request: refused for the device (the reference DCC names the
    distribution in progress; as implemented, SR 11.4's OtherRequestInProgressList), or accepted
    but its image sent to the hub only after alert (c) confirmed the earlier one."""
    later = _latest(dcc, params.parse_supplier(supplier))
    label = params.parse_label(label)
    device = harness.device.eui64
    if device not in later.accepted_devices:
        return
    earlier = {r.request_id for r in _requests_of(dcc, label)}
    confirmed = [a.raised_ms for s in dcc.suppliers() for a in dcc.alerts_for(s)
                 if a.request_id in earlier and a.device == device and is_kind(a, "(c)")]
    sent = [d.started_ms for d in dcc.hub_deliveries() if d.request_id == later.request_id]
    early = [t for t in sent if not confirmed or t < min(confirmed)]
    assert not early, (
        f"expected the Service Request from {supplier!r} not to override the distribution of image "
        f"{label!r}: refused for the device, or held until alert (c) confirmed it"
        f"{f' (at {min(confirmed)} ms)' if confirmed else ' (no alert (c) about it yet)'}; but the DCC "
        f"accepted it and sent its image to the hub at {early} ms\n  {later.describe()}\n{_wan(dcc)}\n"
        f"{_context(dcc)}")


# ------------------------------------------------------- GBCS on the WAN (as implemented)
#: CCS08 Firmware Transfer Alert response codes (domain.md section 2b).
_CCS08_CODES = {"Success": 0, "Image Discarded": 1, "Hardware Version Mismatch": 2,
                "File Transfer Failure": 3}
#: CS08 responseCode and 0x8F8B activateImage.
_RESULTS = {"Success": 0, "Failure": 1}
#: What "alert ... reports <field>" names on an alert as a Supplier received it.
_ALERT_FIELDS = {"activateImage": "activate_image", "CS08 response code": "read_response_code"}


def _choice(table: dict[str, int], text: str, what: str) -> int:
    try:
        return table[text]
    except KeyError:
        raise HarnessUsageError(f"unknown {what} {text!r}; known: {', '.join(table)}") from None


def _gbcs(dcc: DccSide) -> list[tuple[gbcs_wan.GbcsRecord, Any, Any]]:
    """Every GBCS frame the DCC exchanged with a hub, decoded by ``protocol.gbcs`` here (a
    frame that does not decode is shown in the evidence, and matches nothing)."""
    out = []
    for record in gbcs_frames_of(dcc):
        try:
            frame, payload = gbcs_wan.decode(record.data)
        except ProtocolError:
            continue
        out.append((record, frame, payload))
    return out


def _wan_gbcs(dcc: DccSide) -> str:
    records = gbcs_frames_of(dcc)
    lines = "\n".join(f"  {r.describe()}" for r in records[-20:]) or "  (none)"
    return f"GBCS frames between the DCC and the hubs ({len(records)}, the last 20):\n{lines}"


@given(_re("the device is cut off the HAN {point}"))
def given_cut_off(harness: Any, dcc: DccSide, point: str) -> None:
    cut = getattr(dcc, "cut_off_device", None)
    if cut is None:
        raise DutNotApplicableError("this DCC side cannot cut a device off its HAN (test support)")
    cut(harness.device.eui64, point)


@then(_re("the hub reports CCS08 alert {alert} with response code {code} for the device"))
def then_hub_reports_ccs08(harness: Any, dcc: DccSide, alert: str, code: str) -> None:
    want_alert, want_code = int(alert, 16), _choice(_CCS08_CODES, code, "CCS08 response code")
    device = harness.device.eui64

    def got() -> list[Any]:
        return [p for r, _, p in _gbcs(dcc) if r.direction == "hub -> DCC"
                and isinstance(p, gbcs.FirmwareTransferAlert)
                and int.from_bytes(p.entity_id, "big") == device]

    dcc.wait_until(lambda: bool(got()), dcc.now_ms() + harness.alert_service_level_ms)
    alerts = got()
    wrong = [p for p in alerts if (int(p.alert_code), int(p.response_code)) != (want_alert, want_code)]
    assert alerts and not wrong, (
        f"expected the hub to report CCS08 (Firmware Transfer Alert, 0x0128) alert {alert} with response "
        f"code {want_code} '{code}' for the device {device:#018x}, and no other outcome, but it sent "
        f"{len(alerts)} CCS08 frame(s) for it, {len(wrong)} with another alert or code\n{_wan_gbcs(dcc)}")


@then(_re("{supplier} receives DCC alert {code} about image {label} with CCS08 response code {name}"))
def then_receives_dcc_alert(harness: Any, dcc: DccSide, supplier: str, code: str, label: str,
                            name: str) -> None:
    supplier, label = params.parse_supplier(supplier), params.parse_label(label)
    want = _choice(_CCS08_CODES, name, "CCS08 response code")
    device_alert = 0x8F8A if want == 0 else 0x8F89
    ids = {r.request_id for r in _requests_of(dcc, label)}
    devices = {d for r in _requests_of(dcc, label) for d in r.accepted_devices}

    def outcomes() -> list[AlertSeen]:
        return [a for a in dcc.alerts_for(supplier) if a.request_id in ids
                and a.kind in ("transfer outcome", "Image Discarded", "(b)")]

    def missing() -> set[int]:
        return devices - {a.device for a in outcomes()} if devices else {-1}

    dcc.wait_until(lambda: not missing(), dcc.now_ms() + harness.alert_service_level_ms)
    wrong = [a for a in outcomes()
             if (a.dcc_alert_code, a.response_code, a.device_alert_code) != (code, want, device_alert)]
    assert not missing() and not wrong, (
        f"expected {supplier!r} to receive DCC alert {code} for each device of image {label!r}, passing on "
        f"the hub's CCS08 alert 0x{device_alert:04X} with response code {want} '{name}', and no other "
        f"outcome; devices with none: {sorted(f'{d:#018x}' for d in missing() if d >= 0) or 'none'}; "
        f"{len(wrong)} other:\n{format_alerts(wrong)}\n{_context(dcc, supplier)}")


@then(_re("the DCC reads the firmware version of the device with CS08 and gets response code {name}"))
def then_cs08_read(harness: Any, dcc: DccSide, name: str) -> None:
    want = _choice(_RESULTS, name, "CS08 response code")
    device = harness.device.eui64

    def reads() -> list[Any]:
        frames = _gbcs(dcc)
        asked = any(r.direction == "DCC -> hub" and isinstance(p, gbcs.FirmwareVersionCommand)
                    and f.recipient_title == device for r, f, p in frames)
        return [p for r, f, p in frames if asked and r.direction == "hub -> DCC"
                and isinstance(p, gbcs.FirmwareVersionResponse) and f.originator_title == device]

    dcc.wait_until(lambda: bool(reads()), dcc.now_ms() + harness.alert_service_level_ms)
    got = reads()
    last = f"the last answer has responseCode {int(got[-1].response_code)}" if got else "none came"
    assert got and int(got[-1].response_code) == want, (
        f"expected the DCC to send a CS08 Read PPMID/HCALCS Firmware Version (0x0129) command for the "
        f"device {device:#018x} and the hub to answer responseCode {want} '{name}', but {last}\n"
        f"{_wan_gbcs(dcc)}")


@then(_re("the hub reports alert 0x8F8B for the device with activateImage {result}"))
def then_hub_reports_8f8b(harness: Any, dcc: DccSide, result: str) -> None:
    want = _choice(_RESULTS, result, "activateImage")
    device = harness.device.eui64

    def alerts() -> list[tuple[Any, Any]]:
        return [(r, p) for r, f, p in _gbcs(dcc) if r.direction == "hub -> DCC"
                and isinstance(p, gbcs.FirmwareVersionAlert) and f.originator_title == device]

    dcc.wait_until(lambda: bool(alerts()), dcc.now_ms() + harness.alert_service_level_ms)
    got = alerts()
    done = [r.time_ms for r, _, p in _gbcs(dcc) if isinstance(p, gbcs.FirmwareTransferAlert)
            and int.from_bytes(p.entity_id, "big") == device and int(p.response_code) == 0]
    # GBCS times have whole seconds: the transfer's end is compared to the second.
    wrong = [(r, p) for r, p in got if int(p.activate_image) != want or not done
             or not done[0] // 1000 * 1000 <= gbcs_wan.from_gbcs_time(p.execution_date_time) <= r.time_ms]
    assert got and not wrong, (
        f"expected the hub to report CS08 alert 0x8F8B for the device {device:#018x} with activateImage "
        f"{want} '{result}' and an executionDateTime between the end of its transfer (CCS08 Success at "
        f"{done[0] if done else 'never'} ms) and the alert, but {len(got)} such alert(s) came, "
        f"{len(wrong)} otherwise\n{_wan_gbcs(dcc)}")


@then(parsers.re(r'^alert "(?P<alert>[^"]+)" to "(?P<supplier>[^"]+)" reports '
                 r'(?P<field>activateImage|CS08 response code) "(?P<value>[^"]+)"$'))
def then_alert_reports_field(harness: Any, dcc: DccSide, alert: str, supplier: str, field: str,
                             value: str) -> None:
    name = _ALERT_FIELDS.get(field)
    if name is None:
        raise HarnessUsageError(f"unknown alert field {field!r}; known: {', '.join(_ALERT_FIELDS)}")
    want, kind = _choice(_RESULTS, value, field), params.parse_alert(alert).value

    def got() -> list[AlertSeen]:
        return [a for a in dcc.alerts_for(params.parse_supplier(supplier)) if is_kind(a, kind)]

    dcc.wait_until(lambda: bool(got()), dcc.now_ms() + harness.alert_service_level_ms)
    seen = got()
    latest = seen[-1] if seen else None
    ok = latest is not None and getattr(latest, name) == want
    if ok and name == "read_response_code" and want == 1:
        ok = latest is not None and latest.file_version is None  # a failed read names no version
    shown = latest.describe() if latest else "none received"
    assert ok, (f"expected the latest alert {alert} to {supplier!r} to report {field} {want} '{value}'; "
                f"latest such alert: {shown}\n{_context(dcc, supplier)}")


@then(_re("alert {alert} to {supplier} about image {about} reports the file version of image {label}"))
def then_alert_about_reports_version(harness: Any, dcc: DccSide, alert: str, supplier: str, about: str,
                                     label: str) -> None:
    """As the step above, for the alert about one image's request (another image's alert may
    come later, e.g. a request a DCC held until this one was confirmed)."""
    about, label = params.parse_label(about), params.parse_label(label)
    wanted, kind = _version(harness, label), params.parse_alert(alert).value
    got = _about(dcc, params.parse_supplier(supplier), kind, about)
    assert got and all(a.file_version == wanted for a in got), (
        f"expected alert {alert} to {supplier!r} about image {about!r} to report the file version of "
        f"image {label!r} ({wanted:#010x}), the version read back from the device; such alerts: "
        f"\n{format_alerts(got)}\n{_context(dcc, supplier)}")


# ------------------------------------------------------------ SR 11.4 validation (as implemented)
#: "... with <irregularity>": the role the request is sent in, or a FirmwareVersion off by one.
_ROLES = {f"the role {name}": role for name, role in (
    ("Export Supplier", SupplierRole.EXPORT_SUPPLIER),
    ("Electricity Distributor", SupplierRole.ELECTRICITY_DISTRIBUTOR),
    ("Gas Transporter", SupplierRole.GAS_TRANSPORTER), ("Other User", SupplierRole.OTHER_USER))}
_OTHER_VERSION = "a FirmwareVersion other than the image header's"
#: "rejects ... because <reason>": the DCC's reason, in the features' words.
_REASONS = {"its role may not send it": RejectReason.ROLE_MAY_NOT_SEND,
            "its FirmwareVersion differs from the image header": RejectReason.FIRMWARE_VERSION_MISMATCH}


@given(_re("the other device is {other}"))
def given_other_device(harness: Any, dcc: DccSide, other: str) -> None:
    add = getattr(dcc, "add_other_device", None)
    if add is None:
        raise DutNotApplicableError("this DCC side cannot add devices in a given state (test support)")
    harness.other_device = add(harness.device.eui64, other)


@when(_re("{supplier} sends the Service Request for image {label} with {irregularity}"))
def when_irregular_request(harness: Any, dcc: DccSide, supplier: str, label: str,
                           irregularity: str) -> None:
    send = getattr(dcc, "submit_request", None)
    if send is None:
        raise DutNotApplicableError("this DCC side cannot send a Service Request field by field")
    label, supplier = params.parse_label(label), params.parse_supplier(supplier)
    if irregularity != _OTHER_VERSION and irregularity not in _ROLES:
        raise HarnessUsageError(f"unknown irregularity {irregularity!r}; known: {_OTHER_VERSION}, "
                                f"{', '.join(_ROLES)}")
    version = _version(harness, label) + (irregularity == _OTHER_VERSION)
    variant = (RequestVariant.SEND_PPMID_IHD_FIRMWARE if harness.rules == "wg-2016"
               else RequestVariant.SR_11_4_UPDATE_PPMID_FIRMWARE)
    send(supplier, _ROLES.get(irregularity, SupplierRole.IMPORT_SUPPLIER), [harness.device.eui64],
         harness.images[label], version, variant=variant, label=label)


@then(_re("the DCC accepts the Service Request from {supplier} for the device only, listing the other "
          "device in {warning_list}"))
def then_accepts_listing(harness: Any, dcc: DccSide, supplier: str, warning_list: str) -> None:
    sent = _latest(dcc, params.parse_supplier(supplier))
    other, device = harness.other_device, harness.device.eui64
    response = sent.response
    lists = {r.warning_list for r in getattr(response, "invalid", ()) if r.device == other}
    assert (isinstance(response, WarningResponse) and tuple(response.devices) == (device,)
            and lists == {warning_list}), (
        f"expected the DCC to accept the Service Request from {supplier!r} for the device {device:#018x} "
        f"only and to name the other device {other:#018x} in {warning_list} "
        f"(DSPUpdatePPMIDFirmwareWarning) alone, but it answered {describe_response(response)}; the other "
        f"device is in {sorted(str(x) for x in lists) or 'no list'}\n  {sent.describe()}")


@then(_re("the DCC rejects the Service Request from {supplier} because {reason}"))
def then_rejects_because(dcc: DccSide, supplier: str, reason: str) -> None:
    want = _REASONS.get(reason)
    if want is None:
        raise HarnessUsageError(f"unknown reason {reason!r}; known: {'; '.join(_REASONS)}")
    sent = _latest(dcc, params.parse_supplier(supplier))
    assert isinstance(sent.response, Rejected) and sent.response.reason is want, (
        f"expected the DCC to reject the Service Request from {supplier!r} as a whole because {reason} "
        f"({want.value}), but it answered {describe_response(sent.response)}\n  {sent.describe()}")


# ------------------------------------------------------------ HCALCS: SR 11.1 and SR 11.3 / CS06
_HASHES = ("its Manufacturer Image hash", "a wrong hash")
_ACTIVATION_CODES = {"Success": 0, "No Image Held": 1, "Hash Mismatch": 2, "Activation Failure": 3}
#: SR 11.3 is sent future-dated by this much (CS06 is then acknowledged and its outcome alerted).
_ACTIVATION_LEAD_MS = 60_000


@when(_re("{supplier} activates image {label} on the device with {image_hash}"))
def when_activates(harness: Any, dcc: DccSide, supplier: str, label: str, image_hash: str) -> None:
    activate = getattr(dcc, "activate", None)
    if activate is None:
        raise DutNotApplicableError("this DCC side cannot send SR 11.3 'Activate Firmware'")
    if image_hash not in _HASHES:
        raise HarnessUsageError(f"unknown hash {image_hash!r}; known: {', '.join(_HASHES)}")
    label = params.parse_label(label)
    data = harness.images[label]
    digest = hashlib.sha256(parse_image(data, max_size=len(data)).manufacturer_image).digest()
    if image_hash == _HASHES[1]:
        digest = bytes(b ^ 0xFF for b in digest)
    activate(params.parse_supplier(supplier), harness.device.eui64, digest, label=label,
             file_version=_version(harness, label), execution_ms=dcc.now_ms() + _ACTIVATION_LEAD_MS)


@then(_re("{supplier} receives the activation outcome {code} about image {label}"))
def then_activation_outcome(harness: Any, dcc: DccSide, supplier: str, code: str, label: str) -> None:
    want = _choice(_ACTIVATION_CODES, code, "activation outcome")
    alert = 0x8F66 if want == 0 else 0x8F67
    supplier, label = params.parse_supplier(supplier), params.parse_label(label)
    ids = {r.request_id for r in _requests_of(dcc, label)}

    def got() -> list[AlertSeen]:
        return [a for a in dcc.alerts_for(supplier) if a.request_id in ids and a.kind == "activation outcome"]

    dcc.wait_until(lambda: bool(got()), dcc.now_ms() + harness.alert_service_level_ms)
    seen = got()
    wrong = [a for a in seen if (a.response_code, a.device_alert_code) != (want, alert)]
    assert seen and not wrong, (
        f"expected {supplier!r} to receive the SR 11.3 activation outcome {want} '{code}' (CS06 alert "
        f"0x{alert:04X}) about image {label!r}, and no other, but got {len(seen)}, {len(wrong)} "
        f"otherwise:\n{format_alerts(seen)}\n{_context(dcc, supplier)}\n{_wan_gbcs(dcc)}")
