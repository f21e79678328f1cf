"""``hanota fragment IMAGE --out DIR [--max-bytes N]``: split an image above the size limit.

Writes one OTA file per fragment (``fragment-001-of-022.ota`` ...) and ``manifest.json``
(count, sizes, SHA-256 digests) into DIR. An image within the limit needs no fragments: it is
written unchanged as ``image.ota`` and the manifest says ``"fragmented": false``.
Exit 0 written, 1 the image is invalid (one line naming the field and byte offset), 2 usage
error (unreadable file, unusable DIR, a limit too small for any slice).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from hanota.protocol.errors import HarnessUsageError, ProtocolError
from hanota.protocol.fragments import FRAGMENT_HEADER_STRING_PREFIX, parse_fragment, split_image
from hanota.protocol.limits import DEFAULT_MAX_IMAGE_BYTES, DEFAULT_MAX_WHOLE_IMAGE_BYTES
from hanota.protocol.ota_image import ImageFormat, parse_image

NAME = "fragment"
HELP = "split an image above the size limit into fragments, each a valid OTA file within the limit"

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
MANIFEST = "manifest.json"
MANIFEST_FORMAT = "hanota-fragments/1"
WHOLE_NAME = "image.ota"
#: Inputs at least this large show progress on a terminal.
PROGRESS_FROM_BYTES = 4 * 1024 * 1024
_FORMATS = {"auto": None, "zigbee": ImageFormat.ZIGBEE_OTA, "gbcs": ImageFormat.GBCS}


def _positive(text: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("image", metavar="IMAGE",
                        help="the whole image (ZigBee OTA file or GBCS Upgrade Image)")
    parser.add_argument("--out", metavar="DIR", required=True,
                        help="directory for the fragments and manifest")
    parser.add_argument("--max-bytes", type=_positive, default=DEFAULT_MAX_IMAGE_BYTES, metavar="N",
                        help=f"largest fragment file, in bytes (default {DEFAULT_MAX_IMAGE_BYTES}"
                        " = 750 x 1024)")
    parser.add_argument("--max-whole-bytes", type=_positive, default=DEFAULT_MAX_WHOLE_IMAGE_BYTES,
                        metavar="N",
                        help=f"largest whole image accepted (default {DEFAULT_MAX_WHOLE_IMAGE_BYTES})")
    parser.add_argument("--format", choices=tuple(_FORMATS), default="auto",
                        help="read IMAGE as this format only (default: decide from the bytes)")
    parser.add_argument("--force", action="store_true",
                        help="replace fragments and a manifest already in DIR")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="report progress on stderr (default: on a terminal, for large images)")


def _usage(message: str) -> int:
    print(f"hanota fragment: {message}", file=sys.stderr)
    return EXIT_USAGE


def _ours(directory: Path) -> list[Path]:
    return sorted([*directory.glob("fragment-*.ota"), *directory.glob(WHOLE_NAME), *directory.glob(MANIFEST)])


def _entry(path: Path, data: bytes) -> dict[str, Any]:
    return {"file": path.name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def run(args: argparse.Namespace) -> int:
    source = Path(args.image)
    try:
        image = source.read_bytes()
    except OSError as err:
        return _usage(f"cannot read {args.image}: {err.strerror or err}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        return _usage(f"{args.out} exists and is not a directory")
    if out.is_dir() and _ours(out) and not args.force:
        return _usage(f"{args.out} already holds fragments or a manifest (use --force to replace them)")
    try:
        pieces = split_image(image, max_bytes=args.max_bytes, fmt=_FORMATS[args.format],
                             max_whole_bytes=args.max_whole_bytes)
        whole = parse_image(image, max_size=args.max_whole_bytes, expected_format=_FORMATS[args.format])
    except ProtocolError as err:
        print(f"{args.image}: invalid: {err}", file=sys.stderr)
        return EXIT_INVALID
    except HarnessUsageError as err:
        return _usage(str(err))
    fragmented = len(image) > args.max_bytes
    show = args.progress
    if show is None:
        show = sys.stderr.isatty() and len(image) >= PROGRESS_FROM_BYTES
    try:
        out.mkdir(parents=True, exist_ok=True)
        for stale in _ours(out):
            stale.unlink()
        entries = []
        for index, piece in enumerate(pieces):
            name = f"fragment-{index + 1:03d}-of-{len(pieces):03d}.ota" if fragmented else WHOLE_NAME
            path = out / name
            path.write_bytes(piece)
            entry = _entry(path, piece)
            if fragmented:
                desc = parse_fragment(piece, max_bytes=args.max_bytes,
                                      max_whole_bytes=args.max_whole_bytes).descriptor
                entry.update(index=desc.fragment_index, offset=desc.fragment_offset,
                             length=desc.fragment_length)
            entries.append(entry)
            if show:
                print(f"\rhanota fragment: {index + 1}/{len(pieces)} written", end="", file=sys.stderr)
        if show:
            print(file=sys.stderr)
        manifest = {
            "format": MANIFEST_FORMAT,
            "fragmented": fragmented,
            "max_bytes": args.max_bytes,
            "image": {**_entry(source, image), "format": whole.format.value,
                      "manufacturer_code": whole.header.manufacturer_code,
                      "image_type": whole.header.image_type, "file_version": whole.header.file_version},
            "count": len(pieces),
            "fragments": entries,
        }
        (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    except OSError as err:
        return _usage(f"cannot write to {args.out}: {err.strerror or err}")
    if fragmented:
        print(f"{len(pieces)} fragments of at most {max(len(p) for p in pieces)} bytes "
              f"({FRAGMENT_HEADER_STRING_PREFIX.strip()} 1/{len(pieces)} ...) written to {out}")
    else:
        print(f"{args.image} is {len(image)} bytes, within the limit of {args.max_bytes}: "
              f"no fragments needed; copied to {out / WHOLE_NAME}")
    return EXIT_OK
