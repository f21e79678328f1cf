"""``hanota reassemble DIR|FILES... --out IMAGE [--public-key PEM]``: rebuild a fragmented image.

Reads the fragments (a directory written by ``hanota fragment``: the files its manifest lists,
or every ``*.ota`` file in it; or the fragment files given, in any order, duplicates allowed),
checks each one, rebuilds the whole image, checks its SHA-256 and, with ``--public-key``, its
signature, and only then writes IMAGE. Exit 0 written, 1 the fragments do not make a valid
image (one line naming the file, field and byte offset), 2 usage error.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hanota.protocol.errors import HarnessUsageError, ProtocolError
from hanota.protocol.fragments import Reassembler
from hanota.protocol.limits import DEFAULT_MAX_IMAGE_BYTES, DEFAULT_MAX_WHOLE_IMAGE_BYTES
from hanota.protocol.ota_image import parse_image
from hanota.protocol.signatures import load_public_key_pem, verify_image

from ._io import read_bounded
from .fragment import MANIFEST, MANIFEST_FORMAT, PROGRESS_FROM_BYTES, _positive

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey

NAME = "reassemble"
HELP = "rebuild and verify an image from its fragments"

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class _UsageError(Exception):
    pass


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", metavar="DIR|FILES", nargs="+",
                        help="a directory written by 'hanota fragment', or fragment files")
    parser.add_argument("--out", metavar="IMAGE", required=True, help="where to write the whole image")
    parser.add_argument("--public-key", metavar="PEM",
                        help="also verify the whole image's GBCS signature with this P-256 public key")
    parser.add_argument("--max-bytes", type=_positive, default=DEFAULT_MAX_IMAGE_BYTES, metavar="N",
                        help=f"largest fragment file accepted (default {DEFAULT_MAX_IMAGE_BYTES})")
    parser.add_argument("--max-whole-bytes", type=_positive, default=DEFAULT_MAX_WHOLE_IMAGE_BYTES,
                        metavar="N",
                        help=f"largest whole image accepted (default {DEFAULT_MAX_WHOLE_IMAGE_BYTES})")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="report progress on stderr (default: on a terminal, for large inputs)")


def _usage(message: str) -> int:
    print(f"hanota reassemble: {message}", file=sys.stderr)
    return EXIT_USAGE


def _invalid(where: str, err: ProtocolError | str) -> int:
    print(f"{where}: invalid: {err}", file=sys.stderr)
    return EXIT_INVALID


def _manifest(directory: Path) -> dict[str, Any] | None:
    path = directory / MANIFEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise _UsageError(f"cannot read {path}: {err}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT \
            or not isinstance(manifest.get("fragments"), list):
        raise _UsageError(f"{path} is not a {MANIFEST_FORMAT} manifest")
    return manifest


def _inputs(args: argparse.Namespace) -> tuple[list[Path], dict[str, Any] | None]:
    """The files to read, and the manifest that listed them (if any)."""
    if len(args.inputs) == 1 and Path(args.inputs[0]).is_dir():
        directory = Path(args.inputs[0])
        manifest = _manifest(directory)
        if manifest is not None:
            try:
                names = [str(entry["file"]) for entry in manifest["fragments"]]
            except (KeyError, TypeError):
                raise _UsageError(f"{directory / MANIFEST}: every fragment entry needs a 'file'") from None
            if any(Path(n).name != n for n in names):
                raise _UsageError(f"{directory / MANIFEST}: file names must not contain a directory")
            return [directory / n for n in names], manifest
        files = sorted(directory.glob("*.ota"))
        if not files:
            raise _UsageError(f"{directory} holds no manifest and no *.ota files")
        return files, None
    paths = [Path(p) for p in args.inputs]
    for path in paths:
        if path.is_dir():
            raise _UsageError(f"{path} is a directory: give one directory or fragment files")
    return paths, None


def run(args: argparse.Namespace) -> int:
    try:
        files, manifest = _inputs(args)
        key = load_public_key_pem(Path(args.public_key).read_bytes()) if args.public_key else None
    except _UsageError as err:
        return _usage(str(err))
    except OSError as err:
        return _usage(f"cannot read {args.public_key}: {err.strerror or err}")
    except HarnessUsageError as err:
        return _usage(f"{args.public_key}: {err}")
    if manifest is not None and manifest.get("fragmented") is False:
        return _whole(files, args, key)
    expected = {str(e.get("file")): e.get("sha256") for e in manifest["fragments"]} if manifest else {}
    reassembler = Reassembler(max_whole_bytes=args.max_whole_bytes, max_fragment_bytes=args.max_bytes,
                              public_key=key)
    show = args.progress
    for done, path in enumerate(files, 1):
        try:
            data = read_bounded(path, args.max_bytes, field="fragment")
        except OSError as err:
            return _usage(f"cannot read {path}: {err.strerror or err}")
        except ProtocolError as err:
            return _invalid(str(path), err)
        want = expected.get(path.name)
        if want is not None and hashlib.sha256(data).hexdigest() != want:
            return _invalid(str(path), "SHA-256 of the file differs from the manifest's")
        try:
            reassembler.add(data)
        except ProtocolError as err:
            return _invalid(str(path), err)
        first = reassembler.descriptor
        if show is None and first is not None:
            show = sys.stderr.isatty() and first.total_size >= PROGRESS_FROM_BYTES
        if show:
            print(f"\rhanota reassemble: {done}/{len(files)} fragments read", end="", file=sys.stderr)
    if show:
        print(file=sys.stderr)
    try:
        whole = reassembler.result()
    except ProtocolError as err:
        return _invalid("reassembled image", err)
    return _write(whole, args, f"from {len(reassembler.received)} fragments")


def _whole(files: list[Path], args: argparse.Namespace, key: EllipticCurvePublicKey | None) -> int:
    """A manifest for an image within the limit: check the one image and copy it."""
    if len(files) != 1:
        return _usage("an unfragmented manifest must list exactly one file")
    try:
        data = read_bounded(files[0], args.max_whole_bytes, field="image")
    except OSError as err:
        return _usage(f"cannot read {files[0]}: {err.strerror or err}")
    except ProtocolError as err:
        return _invalid(str(files[0]), err)
    try:
        image = parse_image(data, max_size=args.max_whole_bytes)
        if key is not None:
            verify_image(image, key)
    except ProtocolError as err:
        return _invalid(str(files[0]), err)
    return _write(data, args, "(not fragmented)")


def _write(whole: bytes, args: argparse.Namespace, how: str) -> int:
    try:
        Path(args.out).write_bytes(whole)
    except OSError as err:
        return _usage(f"cannot write {args.out}: {err.strerror or err}")
    print(f"wrote {args.out}: {len(whole)} bytes {how}, sha256 {hashlib.sha256(whole).hexdigest()}")
    return EXIT_OK
