"""The DCC side as the DCC-side steps see it: what a Supplier does at the DCC (and what the
suite's test support makes the premises do), and the checks of what came back.

:class:`DccObserver` acts and observes through :class:`~hanota.conformance.dcc_side.DccSide` (the
API an HTTP or DUIS binding of a DCC's test system implements too). Each ``check_*`` returns None
when the DCC did what the requirement expects, else a message that says the expectation in plain
words and shows the evidence; a check about something in transit waits for it first, at most the
alert service level (or the duration the step names).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Sequence

from hanota.protocol import gbcs
from hanota.protocol.errors import HarnessUsageError
from hanota.protocol.ota_image import parse_image

from ..adapters import DutNotApplicableError
from ..dcc_side import (
    AlertSeen,
    DccSide,
    HubDelivery,
    ReferenceDccSide,
    SubmittedRequest,
    add_premises_like,
    describe_response,
    format_alerts,
    is_kind,
)
from ..models import gbcs_wan
from ..models.service_request import (
    Acknowledged,
    Rejected,
    RejectReason,
    RequestVariant,
    SupplierRole,
    WarningResponse,
)
from ..params import (
    ACTIVATION_OUTCOMES,
    CCS08_CODES,
    RESULTS,
    Alert,
    DiscardReason,
    ImageHash,
    Irregularity,
    RejectionReason,
    Size,
    Target,
    parse_duration,
)
from .config import RunConfig
from .dcc_wan import (
    ccs08_alerts,
    cs08_reads,
    fragment_deliveries,
    transfer_successes,
    version_alerts,
    wan_gbcs,
)
from .images import ImageFactory
from .world import Scene

__all__ = ["DccObserver"]

#: "... with <irregularity>": the role the request is sent in (else the Import Supplier's).
_ROLES = {Irregularity.EXPORT_SUPPLIER: SupplierRole.EXPORT_SUPPLIER,
          Irregularity.ELECTRICITY_DISTRIBUTOR: SupplierRole.ELECTRICITY_DISTRIBUTOR,
          Irregularity.GAS_TRANSPORTER: SupplierRole.GAS_TRANSPORTER,
          Irregularity.OTHER_USER: SupplierRole.OTHER_USER}
_REASONS = {RejectionReason.ROLE_MAY_NOT_SEND: RejectReason.ROLE_MAY_NOT_SEND,
            RejectionReason.FIRMWARE_VERSION_MISMATCH: RejectReason.FIRMWARE_VERSION_MISMATCH}
#: SR 11.3 is sent future-dated by this much (CS06 is then acknowledged and its outcome alerted).
_ACTIVATION_LEAD_MS = 60_000


class DccObserver:
    """The DCC-side steps' acts and checks (``Harness.dcc``)."""

    def __init__(self, config: RunConfig, scene: Scene, images: ImageFactory) -> None:
        self._config = config
        self._scene = scene
        self._images = images
        #: "the other device is ...": its EUI-64, once a step has added it
        self.other_device: int | None = None

    @property
    def side(self) -> DccSide:
        """The DCC side of this scenario: the DCC test system the harness connected to
        (``--hanota-dcc``), else the reference DCC of its world (built on first use, after the
        premises steps)."""
        scene = self._scene
        if scene.dcc_side is None:
            reference = ReferenceDccSide(scene.world_(), rules=self._config.rules)
            scene.dcc_side = reference
            scene.evidence_sources.append(
                lambda: [{"kind": "dcc", "text": line} for line in reference.evidence()])
            scene.evidence_sources.append(reference.gbcs_evidence)
            scene.download_probes.append(reference.transfer_pending)
        return scene.dcc_side

    # ================================================================ acts (Given and When)
    def more_premises(self, count: int) -> None:
        """Premises like the first one up to ``count`` in all (on a DCC test system too)."""
        world, config = self._scene.world_(), self._config
        first = world.first
        added = add_premises_like(world, first, count - len(world.premises),
                                  device_faults=sorted(config.device_faults))
        remote = self._scene.remote_dcc
        if remote is not None:  # the same premises on the DCC test system (the local world is its twin)
            kinds = [first.specs[d.eui64].kind for d in first.devices.values()]
            gas = first.gas_meter.supplier if first.gas_meter is not None else None
            fragmentation = bool(getattr(next(iter(first.devices.values())), "supports_fragmentation", False))
            for _ in added:  # with the options add_premises_like gives the twin
                remote.add_premises(electricity_supplier=first.electricity_meter.supplier, gas_supplier=gas,
                                    devices=kinds, supports_fragmentation=fragmentation,
                                    device_faults=sorted(config.device_faults),
                                    hub_faults=sorted(config.hub_faults))

    def fail_next_activation(self) -> None:
        self.side.fail_next_activation(self._scene.device_eui64)

    def request_update(self, supplier: str, target: Target, label: str) -> None:
        """``supplier`` requests a firmware update of ``target`` with image ``label``."""
        side = self.side
        side.submit(supplier, self._targets(target), self._images.image(label).data, label=label,
                    file_version=self._images.version_of(label))

    def discard_on_hub(self, label: str, reason: DiscardReason) -> None:
        side = self.side
        ids = [r.request_id for r in self._requests_of(label) if r.accepted_devices]
        side.discard_on_hub(ids, reason.value)

    def cut_off(self, point: str) -> None:
        """Test support: the device is cut off the HAN at ``point`` of the transfer."""
        cut = getattr(self.side, "cut_off_device", None)
        if cut is None:
            raise DutNotApplicableError("this DCC side cannot cut a device off its HAN (test support)")
        cut(self._scene.device_eui64, point)

    def add_other_device(self, what: str) -> None:
        """Test support: another device at the premises, in the state ``what`` says."""
        add = getattr(self.side, "add_other_device", None)
        if add is None:
            raise DutNotApplicableError("this DCC side cannot add devices in a given state (test support)")
        self.other_device = int(add(self._scene.device_eui64, what))

    def send_irregular(self, supplier: str, label: str, irregularity: Irregularity) -> None:
        """The Service Request for image ``label``, field by field, with ``irregularity``."""
        send = getattr(self.side, "submit_request", None)
        if send is None:
            raise DutNotApplicableError("this DCC side cannot send a Service Request field by field")
        version = self._images.version_of(label) + (irregularity is Irregularity.OTHER_VERSION)
        variant = (RequestVariant.SEND_PPMID_IHD_FIRMWARE if self._config.rules == "wg-2016"
                   else RequestVariant.SR_11_4_UPDATE_PPMID_FIRMWARE)
        send(supplier, _ROLES.get(irregularity, SupplierRole.IMPORT_SUPPLIER), [self._scene.device_eui64],
             self._images.image(label).data, version, variant=variant, label=label)

    def activate(self, supplier: str, label: str, image_hash: ImageHash) -> None:
        """SR 11.3 'Activate Firmware' of image ``label`` on the device, future-dated."""
        side = self.side
        activate = getattr(side, "activate", None)
        if activate is None:
            raise DutNotApplicableError("this DCC side cannot send SR 11.3 'Activate Firmware'")
        data = self._images.image(label).data
        digest = hashlib.sha256(parse_image(data, max_size=len(data)).manufacturer_image).digest()
        if image_hash is ImageHash.WRONG:
            digest = bytes(b ^ 0xFF for b in digest)
        activate(supplier, self._scene.device_eui64, digest, label=label,
                 file_version=self._images.version_of(label),
                 execution_ms=side.now_ms() + _ACTIVATION_LEAD_MS)

    # ================================================================ the DCC's answers
    def check_accepted(self, supplier: str) -> str | None:
        sent = self._latest(supplier)
        if isinstance(sent.response, Acknowledged):
            return None
        return (f"expected the DCC to accept (acknowledge) the Service Request from {supplier!r}, but it "
                f"answered {describe_response(sent.response)}\n  {sent.describe()}")

    def check_rejected(self, supplier: str) -> str | None:
        sent = self._latest(supplier)
        if isinstance(sent.response, Rejected):
            return None
        return (f"expected the DCC to reject the Service Request from {supplier!r} as a whole, but it "
                f"answered {describe_response(sent.response)}\n  {sent.describe()}")

    def check_rejected_because(self, supplier: str, reason: RejectionReason) -> str | None:
        want = _REASONS[reason]
        sent = self._latest(supplier)
        if isinstance(sent.response, Rejected) and sent.response.reason is want:
            return None
        return (f"expected the DCC to reject the Service Request from {supplier!r} as a whole because "
                f"{reason.value} ({want.value}), but it answered {describe_response(sent.response)}\n"
                f"  {sent.describe()}")

    def check_accepted_listing_other(self, supplier: str, warning_list: str) -> str | None:
        """Accepted for the device only, the other device named in ``warning_list`` alone."""
        sent = self._latest(supplier)
        other, device = self.other_device, self._scene.device_eui64
        if other is None:
            raise HarnessUsageError("no other device in this scenario (Given the other device is ...)")
        response = sent.response
        lists = {r.warning_list for r in getattr(response, "invalid", ()) if r.device == other}
        if (isinstance(response, WarningResponse) and tuple(response.devices) == (device,)
                and lists == {warning_list}):
            return None
        return (f"expected the DCC to accept the Service Request from {supplier!r} for the device "
                f"{device:#018x} only and to name the other device {other:#018x} in {warning_list} "
                f"(DSPUpdatePPMIDFirmwareWarning) alone, but it answered {describe_response(response)}; "
                f"the other device is in {sorted(str(x) for x in lists) or 'no list'}\n  {sent.describe()}")

    # ================================================================ what reaches the hub
    def check_reaches_hub_whole(self, label: str, *, whole: bool = True) -> str | None:
        """Image ``label`` reached a hub whole and was stored there (``whole``), or never whole."""
        image = self._images.image(label).data
        side = self.side
        got = [d for d in side.hub_deliveries() if d.payload == image]
        if whole and not any(d.stored_by_hub for d in got):
            return (f"expected image {label!r} ({len(image)} bytes) to reach the hub whole and be "
                    f"stored there, but it did not\n{self._wan()}\n{self._context()}")
        if not whole and got:
            return (f"expected image {label!r} ({len(image)} bytes) to be refused or sent only in "
                    f"fragments, but the DCC sent it to the hub whole\n{self._wan()}\n{self._context()}")
        return None

    def check_reaches_hub_in_fragments(self, label: str, count: int, size: Size) -> str | None:
        """At least ``count`` fragments of image ``label`` reached a hub, none over ``limit`` bytes."""
        side, limit = self.side, size.resolve(self._config.max_image_bytes)
        unavailable = getattr(side, "fragments_unavailable", None)  # a binding with no fragments (DUIS)
        if unavailable:
            raise unavailable
        ids = {r.request_id for r in self._requests_of(label)}
        got = fragment_deliveries(side, ids)
        if len({i for i, _ in got}) >= count and all(n <= limit for _, n in got):
            return None
        return (f"expected image {label!r} to reach the hub in at least {count} fragments of at most "
                f"{limit} bytes each, but the hub got these (fragment index, bytes): {sorted(got)}\n"
                f"{self._wan()}\n{self._context()}")

    def check_no_override(self, supplier: str, label: str) -> str | None:
        """What happened to the later request: refused for the device (the reference DCC names the
        distribution in progress; as implemented, SR 11.4's OtherRequestInProgressList), or
        accepted but its image sent to the hub only after alert (c) confirmed the earlier one."""
        side = self.side
        later = self._latest(supplier)
        device = self._scene.device_eui64
        if device not in later.accepted_devices:
            return None
        earlier = {r.request_id for r in self._requests_of(label)}
        confirmed = [a.raised_ms for s in side.suppliers() for a in side.alerts_for(s)
                     if a.request_id in earlier and a.device == device and is_kind(a, "(c)")]
        sent = [d.started_ms for d in side.hub_deliveries() if d.request_id == later.request_id]
        early = [t for t in sent if not confirmed or t < min(confirmed)]
        if not early:
            return None
        return (f"expected the Service Request from {supplier!r} not to override the distribution of image "
                f"{label!r}: refused for the device, or held until alert (c) confirmed it"
                f"{f' (at {min(confirmed)} ms)' if confirmed else ' (no alert (c) about it yet)'}; but the "
                f"DCC accepted it and sent its image to the hub at {early} ms\n  {later.describe()}\n"
                f"{self._wan()}\n"
                f"{self._context()}")

    # ================================================================ alerts
    def check_alert_received(self, supplier: str, alert: Alert, label: str,
                             within: str | None = None) -> str | None:
        """At least one such alert per device the image's request was accepted for, waiting up to
        the alert service level (or ``within``) for alerts in transit; with ``within``, each
        arrived within it of the event it reports ((a): the request; others: when the DCC raised it)."""
        side, kind = self.side, alert.value
        wait_ms = (self._config.alert_service_level_ms if within is None
                   else self._config.ms(parse_duration(within)))
        devices = {d for r in self._requests_of(label) for d in r.accepted_devices}

        def missing() -> list[int]:
            got = {a.device for a in self._about(supplier, kind, label)}
            return sorted(devices - got) if devices else ([] if got else [-1])

        side.wait_until(lambda: not missing(), side.now_ms() + wait_ms)
        got, absent = self._about(supplier, kind, label), missing()
        late = [a for a in got if within is not None and a.delivered_ms - self._event_ms(a) > wait_ms]
        if not absent and not late:
            return None
        how = "" if within is None else f" within {within} ({wait_ms} ms)"
        return (f"expected {supplier!r} to receive alert {kind} about image {label!r}{how} for each device "
                f"the request was accepted for; "
                + (f"devices with none: {[f'{d:#018x}' for d in absent if d >= 0] or 'all'}; "
                   if absent else "")
                + (f"{len(late)} arrived late:\n{format_alerts(late)}\n" if late else "")
                + f"{self._context(supplier)}")

    def check_no_alert(self, supplier: str, alert: Alert, label: str) -> str | None:
        side, kind = self.side, alert.value

        def got() -> list[AlertSeen]:
            return self._about(supplier, kind, label)

        side.wait_until(lambda: bool(got()), side.now_ms() + self._config.alert_service_level_ms)
        if not got():
            return None
        return (f"expected {supplier!r} to receive no alert {kind} about image {label!r} (waited "
                f"the alert service level), but it received:\n{format_alerts(got())}\n"
                f"{self._context(supplier)}")

    def check_alert_version(self, alert: Alert, supplier: str, label: str) -> str | None:
        """The latest such alert to ``supplier`` reports the file version of image ``label``."""
        wanted, kind = self._images.version_of(label), alert.value
        got = [a for a in self.side.alerts_for(supplier) if is_kind(a, kind)]
        if got and got[-1].file_version == wanted:
            return None
        return (f"expected the latest alert {kind} to {supplier!r} to report the file version of image "
                f"{label!r} ({wanted:#010x}), the version read back from the device; latest such alert: "
                f"{got[-1].describe() if got else 'none received'}\n{self._context(supplier)}")

    def check_alert_about_version(self, alert: Alert, supplier: str, about: str, label: str) -> str | None:
        """As :meth:`check_alert_version`, for the alerts about one image's request (another
        image's alert may come later, e.g. a request a DCC held until this one was confirmed)."""
        wanted, kind = self._images.version_of(label), alert.value
        got = self._about(supplier, kind, about)
        if got and all(a.file_version == wanted for a in got):
            return None
        return (f"expected alert {kind} to {supplier!r} about image {about!r} to report the file version of "
                f"image {label!r} ({wanted:#010x}), the version read back from the device; such alerts: "
                f"\n{format_alerts(got)}\n{self._context(supplier)}")

    def check_alert_field(self, alert: Alert, supplier: str, field: str, want: int) -> str | None:
        """The latest such alert reports ``field`` ("activateImage" or "CS08 response code")."""
        side, kind = self.side, alert.value
        name = {"activateImage": "activate_image", "CS08 response code": "read_response_code"}[field]

        def got() -> list[AlertSeen]:
            return [a for a in side.alerts_for(supplier) if is_kind(a, kind)]

        side.wait_until(lambda: bool(got()), side.now_ms() + self._config.alert_service_level_ms)
        seen = got()
        latest = seen[-1] if seen else None
        ok = latest is not None and getattr(latest, name) == want
        if ok and name == "read_response_code" and want == 1:
            ok = latest is not None and latest.file_version is None  # a failed read names no version
        if ok:
            return None
        value = _name(RESULTS, want)
        shown = latest.describe() if latest else "none received"
        return (f"expected the latest alert {kind} to {supplier!r} to report {field} {want} '{value}'; "
                f"latest such alert: {shown}\n{self._context(supplier)}")

    def check_alerts_individual(self) -> str | None:
        side = self.side
        alerts = [a for s in side.suppliers() for a in side.alerts_for(s)]
        grouped = [a for a in alerts if a.recipients != (a.supplier,)]
        if alerts and not grouped:
            return None
        return ("expected every alert to be addressed to the one Supplier receiving it (individual, not "
                f"grouped), but {len(grouped)} of {len(alerts)} name other parties or none:\n"
                f"{format_alerts(grouped)}\n{self._context()}")

    def check_alerts_staggered(self, alert: Alert, supplier: str, duration: str) -> str | None:
        kind, gap = alert.value, self._config.ms(parse_duration(duration))
        times = sorted(a.delivered_ms for a in self.side.alerts_for(supplier) if is_kind(a, kind))
        close = [(t0, t1) for t0, t1 in itertools.pairwise(times) if t1 - t0 < gap]
        if len(times) > 1 and not close:
            return None
        return (f"expected the {len(times)} alerts {kind} to {supplier!r} to be staggered at least "
                f"{duration} "
                f"({gap} ms) apart, but {len(close)} pair(s) are closer, e.g. delivered at {close[:5]} ms "
                f"(delivery times: {times[:20]})")

    def check_dcc_alert(self, supplier: str, code: str, label: str, want: int) -> str | None:
        """DCC alert ``code`` for each device of image ``label``, passing on the hub's CCS08 alert
        with response code ``want``, and no other outcome."""
        side, name = self.side, _name(CCS08_CODES, want)
        device_alert = 0x8F8A if want == 0 else 0x8F89
        ids = {r.request_id for r in self._requests_of(label)}
        devices = {d for r in self._requests_of(label) for d in r.accepted_devices}

        def outcomes() -> list[AlertSeen]:
            return [a for a in side.alerts_for(supplier) if a.request_id in ids
                    and a.kind in ("transfer outcome", "Image Discarded", "(b)")]

        def missing() -> set[int]:
            return devices - {a.device for a in outcomes()} if devices else {-1}

        side.wait_until(lambda: not missing(), side.now_ms() + self._config.alert_service_level_ms)
        wrong = [a for a in outcomes()
                 if (a.dcc_alert_code, a.response_code, a.device_alert_code) != (code, want, device_alert)]
        if not missing() and not wrong:
            return None
        return (f"expected {supplier!r} to receive DCC alert {code} for each device of image {label!r}, "
                f"passing on the hub's CCS08 alert 0x{device_alert:04X} with response code {want} '{name}', "
                f"and no other outcome; devices with none: "
                f"{sorted(f'{d:#018x}' for d in missing() if d >= 0) or 'none'}; "
                f"{len(wrong)} other:\n{format_alerts(wrong)}\n{self._context(supplier)}")

    def check_activation_outcome(self, supplier: str, want: int, label: str) -> str | None:
        """The SR 11.3 activation outcome ``want`` (CS06 alert 0x8F66 / 0x8F67), and no other."""
        side, code = self.side, _name(ACTIVATION_OUTCOMES, want)
        alert = 0x8F66 if want == 0 else 0x8F67
        ids = {r.request_id for r in self._requests_of(label)}

        def got() -> list[AlertSeen]:
            return [a for a in side.alerts_for(supplier)
                    if a.request_id in ids and a.kind == "activation outcome"]

        side.wait_until(lambda: bool(got()), side.now_ms() + self._config.alert_service_level_ms)
        seen = got()
        wrong = [a for a in seen if (a.response_code, a.device_alert_code) != (want, alert)]
        if seen and not wrong:
            return None
        return (f"expected {supplier!r} to receive the SR 11.3 activation outcome {want} '{code}' (CS06 "
                f"alert "
                f"0x{alert:04X}) about image {label!r}, and no other, but got {len(seen)}, {len(wrong)} "
                f"otherwise:\n{format_alerts(seen)}\n{self._context(supplier)}\n{wan_gbcs(side)}")

    # ================================================================ the inventory
    def check_inventory_records(self, label: str) -> str | None:
        side, device = self.side, self._scene.device_eui64
        wanted = self._images.version_of(label)
        recorded = side.inventory_version(device)
        if recorded == wanted:
            return None
        history = "; ".join(side.inventory_history(device)) or "none"
        return (f"expected the Smart Metering Inventory to record the file version of image {label!r} "
                f"({wanted:#010x}) for the device, but it records "
                f"{_version_text(recorded)}; its history: {history}\n{self._context()}")

    def check_inventory_unchanged(self) -> str | None:
        side, device = self.side, self._scene.device_eui64
        wanted = self._images.version_of("original")
        recorded = side.inventory_version(device)
        history = side.inventory_history(device)
        if recorded == wanted and len(history) <= 1:
            return None
        return ("expected the Smart Metering Inventory to record no change for the device since it was "
                f"commissioned (file version {wanted:#010x}, the image \"original\"), but it records "
                f"{_version_text(recorded)}; its history: {'; '.join(history) or 'none'}\n{self._context()}")

    def check_inventory_matches(self, read: int, last_frames: Callable[[], str]) -> str | None:
        """The version read from the device (``read``) is the one the inventory records for it."""
        side, device = self.side, self._scene.device_eui64
        recorded = side.inventory_version(device)
        if read == recorded:
            return None
        history = "; ".join(side.inventory_history(device)) or "none"
        return (f"expected the device to report the firmware version the Smart Metering Inventory records "
                f"for it ({_version_text(recorded, 'nothing')}), but CurrentFileVersion read back "
                f"0x{read:08x}; inventory history: {history}; {last_frames()}")

    # ================================================================ GBCS on the WAN
    def check_hub_ccs08(self, alert: int, want_code: int) -> str | None:
        """The hub reports CCS08 ``alert`` with response code ``want_code`` for the device, and no other."""
        side, device = self.side, self._scene.device_eui64
        code = _name(CCS08_CODES, want_code)
        if getattr(side, "gbcs_frames", None) is None:
            return self._check_ccs08_passed_on(alert, want_code, code)

        def got() -> list[gbcs.FirmwareTransferAlert]:
            return ccs08_alerts(side, device)

        side.wait_until(lambda: bool(got()), side.now_ms() + self._config.alert_service_level_ms)
        alerts = got()
        wrong = [p for p in alerts if (int(p.alert_code), int(p.response_code)) != (alert, want_code)]
        if alerts and not wrong:
            return None
        return (f"expected the hub to report CCS08 (Firmware Transfer Alert, 0x0128) alert 0x{alert:04X} "
                f"with response code {want_code} '{code}' for the device {device:#018x}, and no other "
                f"outcome, but "
                f"it sent {len(alerts)} CCS08 frame(s) for it, {len(wrong)} with another alert or code\n"
                f"{wan_gbcs(side)}")

    def _check_ccs08_passed_on(self, alert: int, want_code: int, code: str) -> str | None:
        """As :meth:`check_hub_ccs08` on a DCC side that does not show the WAN (DUIS): judged from
        the CCS08 alerts the DCC passed on, which carry the hub's alert code and response code
        for the device (DUIS CommsHubAlert with FirmwareTransferAlert), as received."""
        side, device = self.side, self._scene.device_eui64

        def got() -> list[AlertSeen]:
            return [a for s in side.suppliers() for a in side.alerts_for(s) if a.device == device
                    and a.kind in ("transfer outcome", "Image Discarded", "(b)")]

        side.wait_until(lambda: bool(got()), side.now_ms() + self._config.alert_service_level_ms)
        alerts = got()
        wrong = [a for a in alerts if (a.device_alert_code, a.response_code) != (alert, want_code)]
        if alerts and not wrong:
            return None
        return (f"expected the hub to report CCS08 alert 0x{alert:04X} with response code {want_code} "
                f"'{code}' for the device {device:#018x}, and no other outcome, as the DCC passes it on "
                f"(this DCC side does not show the WAN), but {len(alerts)} CCS08 alert(s) about the device "
                f"reached the Suppliers, {len(wrong)} with another alert or code:\n{format_alerts(alerts)}\n"
                f"{self._context()}")

    def check_cs08_read(self, want: int) -> str | None:
        """The DCC read the device's firmware version with CS08 and the hub answered ``want``
        (on success, with the version the device runs)."""
        side, device = self.side, self._scene.device_eui64
        name = _name(RESULTS, want)
        if getattr(side, "gbcs_frames", None) is None and hasattr(side, "read_firmware_version"):
            return self._check_sr_11_2(want, name)
        side.wait_until(lambda: bool(cs08_reads(side, device)),
                        side.now_ms() + self._config.alert_service_level_ms)
        answers = cs08_reads(side, device)
        answer = answers[-1] if answers else None
        code = None if answer is None else int(answer.response_code)
        read = None if answer is None else int.from_bytes(answer.firmware_version, "big")
        runs = self._device_runs(device) if code == want == 0 else None
        if code == want and runs in (None, read):
            return None
        last = ("none came" if answer is None
                else f"the last answer has responseCode {code}, version {read:#010x}")
        version = "" if runs is None else f" with the version the device runs ({runs:#010x})"
        return (f"expected the DCC to send a CS08 Read PPMID/HCALCS Firmware Version (0x0129) command for "
                f"the device {device:#018x} and the hub to answer responseCode {want} '{name}'{version}, "
                f"but {last}\n{wan_gbcs(side)}")

    def _device_runs(self, device: int) -> int:
        """The version the device runs: the DCC test system's simulated device (through its
        control channel), else the reference world's."""
        remote = self._scene.remote_dcc
        if remote is not None:
            return int(remote.running_version(device))
        premises = self._scene.world_().premises_of(device)
        if premises is None:
            raise HarnessUsageError(f"no device {device:#018x} in the reference world")
        return int(next(d for d in premises.devices.values() if d.eui64 == device).firmware_version)

    def check_hub_8f8b(self, want: int) -> str | None:
        """The hub reports 0x8F8B for the device with activateImage ``want``, executed between
        the end of its transfer and the alert."""
        side, device = self.side, self._scene.device_eui64
        result = _name(RESULTS, want)
        if getattr(side, "gbcs_frames", None) is None:
            return self._check_8f8b_passed_on(want, result)
        side.wait_until(lambda: bool(version_alerts(side, device)),
                        side.now_ms() + self._config.alert_service_level_ms)
        got = version_alerts(side, device)
        done = transfer_successes(side, device)
        # GBCS times have whole seconds: the transfer's end is compared to the second.
        wrong = [(r, p) for r, p in got if int(p.activate_image) != want or not done
                 or not done[0] // 1000 * 1000 <= gbcs_wan.from_gbcs_time(p.execution_date_time) <= r.time_ms]
        if got and not wrong:
            return None
        return (f"expected the hub to report CS08 alert 0x8F8B for the device {device:#018x} with "
                f"activateImage {want} '{result}' and an executionDateTime between the end of its transfer "
                f"(CCS08 Success at "
                f"{done[0] if done else 'never'} ms) and the alert, but {len(got)} such alert(s) came, "
                f"{len(wrong)} otherwise\n{wan_gbcs(side)}")

    def _check_sr_11_2(self, want: int, name: str) -> str | None:
        """As :meth:`check_cs08_read` on a DCC side that does not show the WAN (DUIS): a Supplier
        of the device reads its version with SR 11.2 and the DCC passes the hub's CS08 response
        on (GBCSPayload): responseCode ``want``, and on success the version the device runs."""
        side, device = self.side, self._scene.device_eui64
        premises = self._scene.world_().premises_of(device)
        supplier = premises.electricity_meter.supplier if premises is not None else "Supplier A"
        read = side.read_firmware_version(  # type: ignore[attr-defined]
            supplier, device, self._config.alert_service_level_ms)
        runs = self._device_runs(device) if read.response_code == want == 0 else None
        if read.response_code == want and runs in (None, read.firmware_version):
            return None
        version = "" if runs is None else f" and the version the device runs ({runs:#010x})"
        return (f"expected {supplier!r}'s SR 11.2 Read Firmware Version of the device {device:#018x} to come "
                f"back with the hub's CS08 response (0x0129), responseCode {want} '{name}'{version}, as the "
                f"DCC passes it on (this DCC side does not show the WAN); got: {read.detail}\n"
                f"{self._context()}")

    def _check_8f8b_passed_on(self, want: int, result: str) -> str | None:
        """As :meth:`check_hub_8f8b` on a DCC side that does not show the WAN (DUIS): every 0x8F8B
        the DCC passed on about the device (PPMIDAlert) as received, with activateImage ``want``, a
        version, and its Timestamp (the project's reading: the executionDateTime) between the end
        of the transfer as passed on (CCS08 Success, the hub's TimeStamp) and its arrival."""
        side, device = self.side, self._scene.device_eui64

        def about(kind: str, code: int) -> list[AlertSeen]:
            return [a for s in side.suppliers() for a in side.alerts_for(s)
                    if a.device == device and a.kind == kind and a.device_alert_code == code]

        deadline = side.now_ms() + self._config.alert_service_level_ms
        side.wait_until(lambda: bool(about("(c)", 0x8F8B)), deadline)
        got, done = about("(c)", 0x8F8B), sorted(a.raised_ms for a in about("transfer outcome", 0x8F8A))
        wrong = [a for a in got if a.activate_image != want or a.file_version is None or a.executed_ms is None
                 or not done or not done[0] // 1000 * 1000 <= a.executed_ms <= a.delivered_ms]
        if got and not wrong:
            return None
        return (f"expected the hub's alert 0x8F8B for the device {device:#018x}, as the DCC passes it on "
                f"(PPMIDAlert; this DCC side does not show the WAN), to report activateImage {want} "
                f"'{result}' with a version and a Timestamp between the end of its transfer (CCS08 Success "
                f"passed on, the hub's time: {done[0] if done else 'never'} ms) and its arrival, but "
                f"{len(got)} came, {len(wrong)} otherwise:\n{format_alerts(got)}\n{self._context()}")

    # ================================================================ helpers
    def _targets(self, target: Target) -> list[int]:
        """The device, or the same device of every premises (the load scenarios)."""
        device = self._scene.device_eui64
        if target is Target.DEVICE:
            return [device]
        if target is Target.DEVICE_TWICE:
            return [device, device]
        if target is Target.DEVICE_AND_OTHER:
            if self.other_device is None:
                raise HarnessUsageError("no other device in this scenario (Given the other device is ...)")
            return [device, self.other_device]
        world = self._scene.world_()
        key = next(k for k, d in world.first.devices.items() if d.eui64 == device)
        return [p.devices[key].eui64 for p in world.premises]

    def _requests_of(self, label: str) -> list[SubmittedRequest]:
        return [r for r in self.side.requests() if r.label == label]

    def _latest(self, supplier: str) -> SubmittedRequest:
        sent = self.side.requests(supplier)
        if not sent:
            raise HarnessUsageError(f"{supplier!r} has sent no Service Request in this scenario")
        return sent[-1]

    def _about(self, supplier: str, alert: str, label: str) -> list[AlertSeen]:
        ids = {r.request_id for r in self._requests_of(label)}
        return [a for a in self.side.alerts_for(supplier) if a.request_id in ids and is_kind(a, alert)]

    def _event_ms(self, alert: AlertSeen) -> int:
        """The time of the event an alert reports: the request for (a), else when the DCC raised it."""
        if alert.kind == "(a)":
            for r in self.side.requests():
                if r.request_id == alert.request_id:
                    return r.submitted_ms
        return alert.raised_ms

    def _context(self, supplier: str | None = None) -> str:
        side = self.side
        suppliers = [supplier] if supplier else side.suppliers()
        alerts = "\n".join(f"alerts received by {s!r} so far (now {side.now_ms()} ms):\n"
                           f"{format_alerts(side.alerts_for(s))}" for s in suppliers)
        sent = "\n".join(f"  {r.describe()}" for r in side.requests()) or "  (none)"
        return f"Service Requests:\n{sent}\n{alerts}"

    def _wan(self, deliveries: Sequence[HubDelivery] | None = None) -> str:
        shown = list(self.side.hub_deliveries() if deliveries is None else deliveries)
        lines = "\n".join(f"  {d.describe()}" for d in shown[:20]) or "  (nothing)"
        return f"what the DCC sent to hubs over the WAN:\n{lines}"


def _version_text(version: int | None, none: str = "nothing") -> str:
    return none if version is None else f"{version:#010x}"


def _name(table: dict[str, int], code: int) -> str:
    """The features' name of ``code`` in ``table`` (the parameter type it was parsed with)."""
    return next(name for name, value in table.items() if value == code)
