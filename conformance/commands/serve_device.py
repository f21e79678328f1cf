"""``hanota serve-device``: the reference IHD/PPMID as a separate process speaking the DUT bridge.

It is the example a manufacturer's bridge is written against (``docs/dut-bridge.md``) and what
the suite is tested against over a real socket: ``hanota run --dut tcp://HOST:PORT``. The device
runs on a virtual clock moved only by the client's ADVANCE controls, or with ``--wall-clock`` on
wall time, as a real device does. By default it implements what the built-in reference PICS
declares (fragmentation, consumer refusal), so its verdicts match an in-process run. Prints the address it
listens on (``--listen 127.0.0.1:0`` picks a free port) and serves until interrupted.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType

from hanota.protocol.errors import HarnessUsageError, ProtocolError
from hanota.protocol.limits import DEFAULT_MAX_IMAGE_BYTES

from ..adapters.reference import (
    DEFAULT_DEVICE_EUI64,
    DEFAULT_HUB_EUI64,
    ReferenceAdapter,
    ReferenceDeviceConfig,
    WallClockAdapter,
)
from ..adapters.server import BridgeServer
from ..pics import REFERENCE_DEVICE_FILE_QUERY
from ._args import count_arg, int_arg, parse_listen

NAME = "serve-device"
HELP = "serve the reference IHD/PPMID over the DUT bridge protocol (TCP)"


def _hex64(text: str) -> int:
    """An EUI-64: 16 hex digits, optionally with ':' or '-' separators or a 0x prefix."""
    digits = text.lower().removeprefix("0x").replace(":", "").replace("-", "")
    try:
        value = int(digits, 16)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an EUI-64: {text!r}") from None
    if len(digits) > 16:
        raise argparse.ArgumentTypeError(f"an EUI-64 has 16 hex digits: {text!r}")
    return value


def _file_query(text: str) -> int | None:
    """PICS device_file_query: an image type 0xFFC0-0xFFFE, or "off"."""
    if text.lower() == "off":
        return None
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an image type or 'off': {text!r}") from None
    if not 0xFFC0 <= value <= 0xFFFE:
        raise argparse.ArgumentTypeError(f"a device-specific file's image type is 0xFFC0-0xFFFE: {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--listen", required=True, type=parse_listen, metavar="HOST:PORT",
                        help="address to listen on; port 0 picks a free port (printed)")
    parser.add_argument("--kind", required=True, choices=("ihd", "ppmid"), help="device kind")
    parser.add_argument("--manufacturer-code", type=int_arg, default=0x1234, metavar="N")
    parser.add_argument("--image-type", type=int_arg, default=0x0101, metavar="N")
    parser.add_argument("--file-version", type=int_arg, default=0x0000_0100, metavar="N",
                        help="the running firmware's file version")
    parser.add_argument("--hardware-version", type=int_arg, default=1, metavar="N")
    parser.add_argument("--public-key", type=Path, default=None, metavar="PEM",
                        help="manufacturer's public key (PEM) the device verifies images with "
                        "(default: the deterministic test key of --seed)")
    parser.add_argument("--eui64", type=_hex64, default=DEFAULT_DEVICE_EUI64, metavar="HEX",
                        help=f"the device's EUI-64 (default {DEFAULT_DEVICE_EUI64:016x})")
    parser.add_argument("--paired-hub", type=_hex64, default=DEFAULT_HUB_EUI64, metavar="HEX",
                        help=f"EUI-64 of the hub it is paired to (default {DEFAULT_HUB_EUI64:016x})")
    parser.add_argument("--seed", type=int_arg, default=0, metavar="N",
                        help="seed of the device's random choices and of the default test key")
    parser.add_argument("--max-data-size", type=int_arg, default=64, metavar="N",
                        help="Image Block Request maximum data size (1..255, default 64)")
    parser.add_argument("--max-image-bytes", type=int_arg, default=DEFAULT_MAX_IMAGE_BYTES, metavar="N",
                        help="the size limit of one image (PIXIT max_image_bytes, default 768000)")
    parser.add_argument("--fragmentation", action=argparse.BooleanOptionalAction, default=True,
                        help="reassemble images sent as fragments (PICS fragmentation; default on)")
    parser.add_argument("--consumer-refusal", action=argparse.BooleanOptionalAction, default=True,
                        help="prompt the consumer, whose answer the CONSUMER control sets (PICS "
                        "consumer_refusal; default on)")
    parser.add_argument("--page-requests", action=argparse.BooleanOptionalAction, default=True,
                        help="ask for the image by Image Page Requests while the hub serves them (PICS "
                        "image_page_requests; default on)")
    parser.add_argument("--device-file-query", type=_file_query, default=REFERENCE_DEVICE_FILE_QUERY,
                        metavar="TYPE", help="after each POWER_CYCLE, ask the hub for the device-specific "
                        "file of image type TYPE (0xFFC0-0xFFFE) by Query Device Specific File, or 'off' "
                        "(PICS [device] device_file_query; default 0xFFC1)")
    parser.add_argument("--wait-poll-minutes", type=int_arg, default=60, metavar="N",
                        help="told to wait for the hub's command to upgrade, send Upgrade End Request "
                        "again every N minutes (0: never; default 60, as ZigBee 095264 recommends)")
    parser.add_argument("--query-interval-ms", type=count_arg, default=None, metavar="MS",
                        help="ask the hub for an image on its own every MS milliseconds (PICS "
                        "periodic_query with [timing] query_interval_ms; default: only when notified)")
    parser.add_argument("--wall-clock", action="store_true",
                        help="run on wall time with no ADVANCE control, like a real device (the "
                        "suite then waits in wall time, bounded by the PICS timing)")
    parser.add_argument("--fault", action="append", default=[], metavar="NAME",
                        help="break the specification on purpose (repeatable); see "
                        "hanota.conformance.models.device.FAULTS")


def build_config(args: argparse.Namespace) -> ReferenceDeviceConfig:
    public_key = None
    if args.public_key is not None:
        from hanota.protocol.signatures import load_public_key_pem
        try:
            pem = args.public_key.read_bytes()
        except OSError as err:
            raise HarnessUsageError(f"--public-key: cannot read {args.public_key}: {err.strerror}") from None
        public_key = load_public_key_pem(pem)
    return ReferenceDeviceConfig(
        kind=args.kind, eui64=args.eui64, manufacturer_code=args.manufacturer_code,
        image_type=args.image_type, file_version=args.file_version,
        hardware_version=args.hardware_version, paired_hub=args.paired_hub,
        public_key=public_key, seed=args.seed, faults=frozenset(args.fault),
        options={"max_data_size": args.max_data_size, "max_image_bytes": args.max_image_bytes,
                 "supports_fragmentation": args.fragmentation,
                 "consumer_refusal": args.consumer_refusal, "page_requests": args.page_requests,
                 "device_file_query": args.device_file_query,
                 "wait_poll_ms": args.wait_poll_minutes * 60_000,
                 "query_interval_ms": args.query_interval_ms})


def run(args: argparse.Namespace) -> int:
    try:
        config = build_config(args)
        adapter = WallClockAdapter(config) if args.wall_clock else ReferenceAdapter(config)
    except (HarnessUsageError, ProtocolError) as err:
        print(f"hanota serve-device: {err}", file=sys.stderr)
        return 2
    host, port = args.listen
    try:
        server = BridgeServer(adapter, host, port,
                              log=lambda line: print(f"hanota serve-device: {line}", file=sys.stderr))
    except OSError as err:
        print(f"hanota serve-device: cannot listen on {host}:{port}: {err.strerror}", file=sys.stderr)
        return 2

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(f"listening on {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    print("hanota serve-device: stopped", file=sys.stderr)
    return 0
