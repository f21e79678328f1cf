"""Checks of how the device copes with what the played hub may legally do (features/hub_behaviour.feature).

Kept beside :mod:`.checks` (the checks of the other device-side Then-steps); each returns None
when the device did what the requirement expects, else a message with the decoded evidence.
"""

from __future__ import annotations

from hanota.protocol import ota_commands as oc
from hanota.protocol.zcl import DefaultResponse

from .describe import command_text
from .observe import FrameLog

__all__ = ["check_patience"]

_REQUESTS = (oc.QueryNextImageRequest, oc.ImageBlockRequest, oc.UpgradeEndRequest)
_ANSWERS = (oc.QueryNextImageResponse, oc.ImageBlockResponse, oc.UpgradeEndResponse, DefaultResponse)


def _same_request(a: oc.Command, b: oc.Command) -> bool:
    """``b`` asks again what ``a`` asked (the same command; for a block, the same file offset)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, oc.ImageBlockRequest) and isinstance(b, oc.ImageBlockRequest):
        return a.file_offset == b.file_offset
    return True


def check_patience(log: FrameLog, timeout_ms: int, hub_eui64: int) -> str | None:
    """No request repeated before ``timeout_ms`` (the device's declared response timeout) after
    the one the hub had not yet answered; and at least one request answered late enough to show it.

    A request counts as answered by the hub's next answer to the device (Query Next Image, Image
    Block or Upgrade End Response, or a Default Response)."""
    pending: tuple[int, oc.Command] | None = None
    requests = 0
    for seen in log.frames(sent_by_dut=None, kinds=_REQUESTS + _ANSWERS):
        cmd = seen.command
        if isinstance(cmd, _REQUESTS) and seen.frame.dst == hub_eui64:
            requests += 1
            if pending is not None and _same_request(pending[1], cmd) \
                    and seen.time_ms - pending[0] < timeout_ms:
                return (f"expected the device to wait its declared response timeout ({timeout_ms} "
                        f"ms) for the hub's answer before asking again, but it repeated "
                        f"{command_text(cmd)} at t={seen.time_ms} ms, {seen.time_ms - pending[0]} ms "
                        f"after the request of t={pending[0]} ms; {log.last_frames()}")
            pending = (seen.time_ms, cmd)
        elif isinstance(cmd, _ANSWERS) and seen.frame.src == hub_eui64:
            pending = None
    if requests == 0:
        return f"expected the device to ask the hub for the image, but it sent none; {log.last_frames()}"
    return None
