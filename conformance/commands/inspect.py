"""``hanota inspect IMAGE [--json] [--public-key PEM]``: parse and validate an image file.

Exit 0 valid (and, with ``--public-key``, signature verified), 1 invalid with one line on
stderr naming the field and byte offset, 2 usage error (unreadable file or key).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from hanota.protocol.errors import HarnessUsageError, ProtocolError, SignatureInvalidError
from hanota.protocol.ota_image import (
    DEFAULT_MAX_IMAGE_SIZE,
    ImageFormat,
    OtaImage,
    image_to_json,
    parse_image,
)
from hanota.protocol.signatures import load_public_key_pem, verify_image

from ._args import positive_int
from ._io import read_bounded

NAME = "inspect"
HELP = "parse and validate an OTA image (ZigBee OTA file or GBCS Upgrade Image)"

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
_FORMATS = {"auto": None, "zigbee": ImageFormat.ZIGBEE_OTA, "gbcs": ImageFormat.GBCS}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("image", metavar="IMAGE", help="the image file")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--public-key", metavar="PEM",
                        help="verify the GBCS signature trailer with this P-256 public key")
    parser.add_argument("--format", choices=tuple(_FORMATS), default="auto",
                        help="read the file as this format only (default: decide from the bytes)")
    parser.add_argument("--max-size", type=positive_int, default=DEFAULT_MAX_IMAGE_SIZE,
                        help=f"largest file accepted, in bytes (default {DEFAULT_MAX_IMAGE_SIZE})")


def _usage(message: str) -> int:
    print(f"hanota inspect: {message}", file=sys.stderr)
    return EXIT_USAGE


def _text(image: OtaImage, info: dict[str, Any]) -> str:
    lines = [f"format: {info['format']}"]
    for key in ("manufacturer_code", "image_type", "field_control", "zigbee_stack_version"):
        lines.append(f"{key}: 0x{info[key]:04x}")
    lines.append(f"file_version: 0x{info['file_version']:08x}")
    lines.append(f"header_string: {info['header_string']!r}")
    lines.append(f"header_length: {info['header_length']}")
    lines.append(f"total_image_size: {info['total_image_size']}")
    for key in ("security_credential_version", "upgrade_file_destination",
                "minimum_hardware_version", "maximum_hardware_version"):
        if info[key] is not None:
            value = info[key]
            lines.append(f"{key}: {value if isinstance(value, str) else f'0x{value:04x}'}")
    for element, described in zip(image.sub_elements, info["sub_elements"], strict=True):
        lines.append(f"sub_element: tag 0x{element.tag:04x} {described['name'].upper()} "
                     f"length {len(element.value)} at offset {element.offset}")
    if image.format is ImageFormat.ZIGBEE_OTA:
        lines.append(f"integrity_variant: {info['integrity_variant'] or 'none (no 0x0003 sub-element)'}")
    lines.append(f"manufacturer_image_length: {info['manufacturer_image_length']}")
    lines.append(f"manufacturer_image_sha256: {info['manufacturer_image_sha256']}")
    lines.append(f"signature: {info['signature_verdict']}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    try:
        data = read_bounded(args.image, args.max_size, field="image")
    except OSError as err:
        return _usage(f"cannot read {args.image}: {err.strerror or err}")
    except ProtocolError as err:
        print(f"{args.image}: invalid: {err}", file=sys.stderr)
        return EXIT_INVALID
    key = None
    if args.public_key:
        try:
            key = load_public_key_pem(Path(args.public_key).read_bytes())
        except OSError as err:
            return _usage(f"cannot read {args.public_key}: {err.strerror or err}")
        except HarnessUsageError as err:
            return _usage(f"{args.public_key}: {err}")
    try:
        image = parse_image(data, max_size=args.max_size, expected_format=_FORMATS[args.format])
    except ProtocolError as err:
        print(f"{args.image}: invalid: {err}", file=sys.stderr)
        return EXIT_INVALID
    verdict: str | None = None
    failure: ProtocolError | None = None
    if key is not None:
        try:
            verify_image(image, key)
            verdict = "valid"
        except SignatureInvalidError as err:
            verdict, failure = "invalid", err
        except ProtocolError as err:  # SignatureMissingError
            verdict, failure = "absent", err
    info = image_to_json(image, signature_verdict=verdict)
    print(json.dumps(info, indent=2) if args.json else _text(image, info))
    if failure is not None:
        print(f"{args.image}: invalid: {failure}", file=sys.stderr)
        return EXIT_INVALID
    return EXIT_OK
