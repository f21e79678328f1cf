"""How the suite reaches a device under test: the ``DutAdapter`` API and its two adapters.

``open_dut("reference")`` is the reference device in this process; ``open_dut("tcp://HOST:PORT")``
any device behind a DUT bridge (``docs/dut-bridge.md``). The same ``--dut`` spelling as
``hanota run``.
"""

from __future__ import annotations

from .base import (
    ControlNotSupportedError,
    DutAdapter,
    DutDisconnectedError,
    DutIdentity,
    DutLink,
    DutNotApplicableError,
    DutProtocolError,
    DutSilentError,
    WallTimeBoundError,
    attach_dut,
    expect_frame,
)
from .reference import ReferenceAdapter, ReferenceDeviceConfig, WallClockAdapter
from .tcp import TcpAdapter, parse_dut_specs, parse_tcp_url

__all__ = [
    "ControlNotSupportedError",
    "DutAdapter",
    "DutDisconnectedError",
    "DutIdentity",
    "DutLink",
    "DutNotApplicableError",
    "DutProtocolError",
    "DutSilentError",
    "ReferenceAdapter",
    "ReferenceDeviceConfig",
    "TcpAdapter",
    "WallClockAdapter",
    "WallTimeBoundError",
    "attach_dut",
    "expect_frame",
    "open_dut",
    "parse_dut_specs",
    "parse_tcp_url",
]


def open_dut(spec: str, *, response_timeout_ms: int = 5_000,
             config: ReferenceDeviceConfig | None = None) -> DutAdapter:
    """``"reference"`` -> a ReferenceAdapter (with ``config``); ``"tcp://HOST:PORT"`` -> a
    connected TcpAdapter whose waits are bounded by ``response_timeout_ms`` (from the PICS)."""
    if spec == "reference":
        return ReferenceAdapter(config)
    return TcpAdapter.from_url(spec, response_timeout_ms=response_timeout_ms)
