"""Pre-flight: what must hold before any scenario runs, each failure one line (docs/getting-started.md).

1. The run can make images the device accepts (``conformance.signing.check_images``).
2. The device under test is there: a connection and a handshake at each ``--dut`` URL.
3. The device is the one the PICS declares: kind, manufacturer code, image type and firmware
   (and hardware version and EUI-64 when the PICS states them) as the handshake says. Without a
   PICS, the run's PICS takes the identity the device states, so the report shows what it runs.
4. The DCC test system is there (``--dcc``): the HTTP binding answers ``GET /info``; a DUIS
   address accepts a connection.
"""

from __future__ import annotations

import dataclasses
import socket
from urllib.parse import urlsplit

from hanota.protocol.errors import HarnessUsageError, ProtocolError

from .adapters import open_dut
from .adapters.base import DutDisconnectedError, DutIdentity
from .pics import Pics, reference_pics

__all__ = ["PreflightError", "check_dcc", "check_device", "check_identity", "identity_differences",
           "pics_from_identity", "run_checks"]


class PreflightError(HarnessUsageError):
    """The run cannot start; the message is one line saying why."""


def run_checks(pics: Pics, urls: list[str], dcc: str | None, *, declared: bool,
               images: bool = True) -> tuple[list[str], Pics]:
    """Every pre-flight check; the lines saying what was proven and the run's PICS (without a
    declared PICS, the one the first device's handshake gives). PreflightError on the first
    failure, one line."""
    from .signing import check_images

    lines = [check_images(pics)] if images else []
    run_pics = pics
    for url in urls:
        ident = check_device(url, pics)
        if declared:
            check_identity(url, ident, pics)
        elif url == urls[0]:
            run_pics = pics_from_identity(ident)
        lines.append(f"device at {url}: {ident.kind} manufacturer 0x{ident.manufacturer_code:04x}, image "
                     f"type 0x{ident.image_type:04x}, firmware 0x{ident.file_version:08x}"
                     f"{'' if ident.virtual_time else ', on wall time'}")
    if dcc is not None:
        lines.append(f"DCC test system at {dcc}: {check_dcc(dcc)}")
    return lines, run_pics


def check_device(url: str, pics: Pics) -> DutIdentity:
    """Connect to the device at ``url`` and read its identity (after a RESET when it offers one,
    so the identity is the factory state every scenario starts from)."""
    timeout = pics.timing.response_timeout_ms
    try:
        adapter = open_dut(url, response_timeout_ms=timeout)
        try:
            ident = adapter.identity
            if ident.can_reset:
                adapter.reset()
                adapter.close()
                adapter = open_dut(url, response_timeout_ms=timeout)
                ident = adapter.identity
        finally:
            adapter.close()
    except (DutDisconnectedError, ProtocolError, OSError) as err:
        raise PreflightError(f"pre-flight: no device under test at {url}: {_one_line(err)}") from None
    return ident


def identity_differences(ident: DutIdentity, pics: Pics) -> list[str]:
    """The identity fields where the handshake and the PICS differ, each 'key: PICS x, device y'."""
    shown: list[tuple[str, str, str]] = [("kind", pics.kind, ident.kind)]
    shown += [(key, f"0x{getattr(pics, key):0{width}x}", f"0x{getattr(ident, key):0{width}x}")
              for key, width in (("manufacturer_code", 4), ("image_type", 4), ("file_version", 8))]
    if "hardware_version" in pics.declared:
        shown.append(("hardware_version", str(pics.hardware_version), str(ident.hardware_version)))
    if "eui64" in pics.declared:
        shown.append(("eui64", f"{pics.eui64:016x}", f"{ident.eui64:016x}"))
    return [f"{key}: PICS {want}, device {got}" for key, want, got in shown if want != got]


def check_identity(url: str, ident: DutIdentity, pics: Pics) -> None:
    differ = identity_differences(ident, pics)
    if differ:
        raise PreflightError(f"pre-flight: the device at {url} is not the one {pics.source} declares "
                             f"({'; '.join(differ)})")


def pics_from_identity(ident: DutIdentity) -> Pics:
    """The run's PICS when none is given against a bridged device: the identity its handshake
    states, and the built-in reference PICS for the rest (every optional feature, default timing)."""
    return dataclasses.replace(
        reference_pics(ident.kind), manufacturer_code=ident.manufacturer_code, image_type=ident.image_type,
        file_version=ident.file_version, hardware_version=ident.hardware_version, eui64=ident.eui64,
        source="the device's handshake (no PICS given; optional features and timing as the built-in PICS)")


def check_dcc(url: str) -> str:
    """The DCC test system is there: an HTTP-binding DCC answers ``GET /info``; a DUIS one
    accepts a connection at its address (every DUIS request is a Service Request with effects,
    so none is sent before the run). What was proven, for the pre-flight line."""
    if url.startswith("duis+"):
        parts = urlsplit(url.removeprefix("duis+"))
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            socket.create_connection((parts.hostname or "", port), timeout=10.0).close()
        except OSError as err:
            raise PreflightError(f"pre-flight: no DCC test system at {url}: {_one_line(err)}") from None
        return "accepts connections (DUIS: no request sent before the run)"
    from .dcc_http.client import HttpDccSide

    try:
        HttpDccSide(url, timeout_s=10.0).info()
    except (HarnessUsageError, OSError, ValueError) as err:
        raise PreflightError(f"pre-flight: no DCC test system at {url}: {_one_line(err)}") from None
    return "answering"


def _one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
