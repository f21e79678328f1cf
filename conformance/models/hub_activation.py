"""CS06 Activate Firmware at the reference Communications Hub: an HCALCS's image, distributed by
SR 11.1, activates only on the DCC's command (SR 11.3), and only if the command names the
Manufacturer Image hash of the image held (``CommsHub._hash_matches``). The outcome is the
future-dated alert 0x00CA (0x8F66 actioned / 0x8F67 not)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hanota.protocol import gbcs
from hanota.protocol import ota_commands as oc

from . import gbcs_wan
from .hub_transfer import ActivationOutcome, TargetInput, TargetState

if TYPE_CHECKING:
    from .comms_hub import CommsHub

__all__ = ["activate_by_command", "on_activate_firmware", "outcome_alert"]

T, TI = TargetState, TargetInput


def on_activate_firmware(hub: CommsHub, frame: gbcs.GbcsFrame, cmd: gbcs.ActivateFirmwareCommand) -> bytes:
    """CS06 for an HCALCS, answered in its name: a future-dated one is acknowledged (NULL)
    and executed at its time, its outcome alerted (0x00CA); an immediate one is executed
    now and answered with the outcome known now (the activation command given, or why not)."""
    device = frame.recipient_title
    counter = hub._next_counter()
    if cmd.is_future_dated:
        assert cmd.execution_date_time is not None
        delay = max(0, gbcs_wan.from_gbcs_time(cmd.execution_date_time) - hub.clock.now_ms)
        image_hash, command_counter = cmd.manufacturer_image_hash, cmd.originator_counter

        def execute() -> None:
            activate_by_command(hub, device, image_hash, command_counter)

        hub.clock.call_later(delay, execute)
        return gbcs_wan.activate_response(device=device, counter=counter, outcome=None)
    code = activate_by_command(hub, device, cmd.manufacturer_image_hash, cmd.originator_counter)
    target = hub._target_for(device) or hub._finished.get(device)
    version = (target.image.header.file_version if code is gbcs.ActivationResponseCode.SUCCESS
               and target is not None and target.image is not None
               else hub.known_versions.get(device, 0))
    return gbcs_wan.activate_response(device=device, counter=counter,
                                      outcome=gbcs.ExecutionOutcome(code, version.to_bytes(4, "big")))


def activate_by_command(hub: CommsHub, device: int, image_hash: bytes,
                        counter: int) -> gbcs.ActivationResponseCode:
    """CS06 reaches its execution time: activate if the hash is the held image's. Returns
    SUCCESS when the activation command was given, else the response code alerted."""
    target = hub._target_for(device) or hub._finished.get(device)
    now = hub.clock.now_ms
    if target is None or target.state is not T.AWAITING_ACTIVATION or not target.by_command:
        code = gbcs.ActivationResponseCode.NO_IMAGE_HELD
    elif not hub._hash_matches(target, image_hash):
        code = gbcs.ActivationResponseCode.HASH_MISMATCH
    else:
        code = gbcs.ActivationResponseCode.SUCCESS
    if code is not gbcs.ActivationResponseCode.SUCCESS or target is None:
        outcome_alert(hub, "" if target is None else target.request_id, device, counter, now, code,
                      hub.known_versions.get(device))
        return code
    target.command_counter = counter
    hub._step(target, TI.ACTIVATION_COMMAND, T.READBACK)
    h = hub._image_of(target).header
    utc = hub._utc_now()
    hub._send(device, oc.UpgradeEndResponse(
        manufacturer_code=h.manufacturer_code, image_type=h.image_type, file_version=h.file_version,
        current_time=utc, upgrade_time=utc))
    target.executed_ms = now
    hub._arm(target, hub.readback_delay_ms, TI.READBACK_TIMER)
    return code


def outcome_alert(hub: CommsHub, request_id: str, device: int, counter: int, executed_ms: int,
                  code: gbcs.ActivationResponseCode, version: int | None) -> None:
    """Queue the CS06 future-dated outcome alert (0x00CA): 0x8F66 actioned with success,
    else 0x8F67 with the response code and the version the device runs."""
    alert = (gbcs.AlertCode.FUTURE_DATED_ACTIONED if code is gbcs.ActivationResponseCode.SUCCESS
             else gbcs.AlertCode.FUTURE_DATED_NOT_ACTIONED)
    frame = gbcs_wan.activation_alert(device=device, counter=hub._next_counter(),
                                      command_counter=counter, executed_ms=executed_ms, alert=alert,
                                      response_code=code, file_version=version)
    hub._events.append(ActivationOutcome(request_id, device, int(code), hub.clock.now_ms, frame))
    if hub.dcc_notify is not None:
        hub.dcc_notify()
