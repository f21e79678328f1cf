"""``hanota build-image``: make a (signed) test image from a payload file.

Images are signed with ``--key PEM`` or a fresh test key (``--new-key PATH`` writes it, and
its public half to ``PATH.pub``): a GBCS Upgrade Image with its P-256 trailer; a ZigBee OTA
file with hanota's reference-profile P-256 sub-element 0xFFF1, last (the standard's suite 1/2
signatures use curves the cryptography library does not offer). ZigBee OTA files carry the
payload as the upgrade-image sub-element, optionally followed by an image integrity code.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from hanota.conformance.commands._args import int_arg
from hanota.protocol.errors import HarnessUsageError
from hanota.protocol.ota_image import (
    SubElementTag,
    build_gbcs_image,
    build_zigbee_image,
)
from hanota.protocol.signatures import generate_test_key, load_private_key_pem, public_key_pem

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey

NAME = "build-image"
HELP = "make a (signed) test image, ZigBee OTA or GBCS Upgrade Image, from a payload file"

EXIT_OK, EXIT_USAGE = 0, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("zigbee", "gbcs"), default="gbcs",
                        help="gbcs: GBCS Upgrade Image (default); zigbee: ZigBee OTA file")
    parser.add_argument("--payload", required=True, metavar="FILE",
                        help="the Manufacturer Image (GBCS) or upgrade-image value (ZigBee)")
    parser.add_argument("--manufacturer-code", required=True, type=int_arg)
    parser.add_argument("--image-type", required=True, type=int_arg)
    parser.add_argument("--file-version", required=True, type=int_arg)
    parser.add_argument("--min-hw-version", type=int_arg, default=None)
    parser.add_argument("--max-hw-version", type=int_arg, default=None)
    parser.add_argument("--stack-version", type=int_arg, default=2,
                        help="ZigBee stack version (default 2, PRO)")
    parser.add_argument("--header-string", default="", help="up to 32 bytes of UTF-8 text")
    parser.add_argument("--integrity-code", action="store_true",
                        help="zigbee only: append an image integrity code (0x0003) over the bytes before it")
    keys = parser.add_mutually_exclusive_group()
    keys.add_argument("--key", metavar="PEM", help="sign with this P-256 private key (zigbee: in "
                      "hanota's reference-profile sub-element 0xFFF1)")
    keys.add_argument("--new-key", metavar="PATH",
                      help="make a P-256 test key, sign with it, write it to PATH (public half to "
                      "PATH.pub)")
    parser.add_argument("--out", required=True, metavar="FILE", help="where the image is written")


def _usage(message: str) -> int:
    print(f"hanota build-image: {message}", file=sys.stderr)
    return EXIT_USAGE


def _zigbee(args: argparse.Namespace, payload: bytes, header_string: bytes,
            key: EllipticCurvePrivateKey | None) -> bytes:
    return build_zigbee_image(
        manufacturer_code=args.manufacturer_code, image_type=args.image_type,
        file_version=args.file_version, zigbee_stack_version=args.stack_version,
        sub_elements=[(SubElementTag.UPGRADE_IMAGE, payload)], header_string=header_string,
        minimum_hardware_version=args.min_hw_version, maximum_hardware_version=args.max_hw_version,
        integrity_code=args.integrity_code, private_key=key)


def run(args: argparse.Namespace) -> int:
    try:
        payload = Path(args.payload).read_bytes()
    except OSError as err:
        return _usage(f"cannot read {args.payload}: {err.strerror or err}")
    header_string = args.header_string.encode("utf-8")
    try:
        if args.integrity_code and args.format != "zigbee":
            return _usage("--integrity-code applies to --format zigbee only")
        key = None
        if args.key:
            key = load_private_key_pem(Path(args.key).read_bytes())
        elif args.new_key:
            key = generate_test_key()
            from cryptography.hazmat.primitives import serialization

            pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
            _write_private(Path(args.new_key), pem)
            Path(args.new_key + ".pub").write_bytes(public_key_pem(key))
            print(f"hanota build-image: new test key written to {args.new_key} (private, mode 0600) and "
                  f"{args.new_key}.pub", file=sys.stderr)
        if args.format == "zigbee":
            image = _zigbee(args, payload, header_string, key)
        else:
            image = build_gbcs_image(
                manufacturer_code=args.manufacturer_code, image_type=args.image_type,
                file_version=args.file_version, manufacturer_image=payload, private_key=key,
                minimum_hardware_version=args.min_hw_version, maximum_hardware_version=args.max_hw_version,
                header_string=header_string, zigbee_stack_version=args.stack_version)
        Path(args.out).write_bytes(image)
    except OSError as err:
        return _usage(f"{err.filename}: {err.strerror or err}")
    except HarnessUsageError as err:
        return _usage(str(err))
    print(f"{args.out}: {len(image)} bytes, {'GBCS Upgrade Image' if args.format == 'gbcs' else 'ZigBee OTA'}"
          f"{', signed' if key is not None else ''}")
    return EXIT_OK


def _write_private(path: Path, pem: bytes) -> None:
    """A private key file readable by its owner only (mode 0600 from its creation)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    os.chmod(path, 0o600)  # an existing file keeps its mode through O_CREAT
