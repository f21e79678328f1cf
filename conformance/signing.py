"""The device's key: how the suite gets images the device under test accepts (docs/pics.md).

A certification run signs with the manufacturer's *test* key, never the suite's own:

- PIXIT ``signing_key``: a PEM P-256 private key; the suite signs every image it makes with it
  (RFC 6979, so a run is reproducible);
- PIXIT ``signing_command``: for a key kept in an HSM, a command given the bytes to sign on
  standard input that prints the ECDSA P-256 / SHA-256 signature (DER, as ``openssl dgst
  -sha256 -sign KEY`` prints it, or 64 bytes r||s) on standard output;
- PIXIT ``newer_image`` (and ``older_image``): images the manufacturer signed. The suite derives
  what needs no key (a byte changed, the signature truncated or made with another key, bytes
  after the signature, fragments) and reports the scenarios needing any other image
  *not applicable* with the reason (:class:`ImageUnavailableError`).

:func:`check_images` is the pre-flight proof: an image signed as configured (or each supplied
image) must verify under the declared public key, with the device's identity, before any
scenario runs.
"""

from __future__ import annotations

import hashlib
import shlex
import subprocess
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from hanota.protocol import ota_image, signatures
from hanota.protocol.errors import HarnessUsageError, ProtocolError

from .adapters.base import DutNotApplicableError
from .params import Relation, Size
from .pics import Pics, SuppliedImage

__all__ = ["CommandSigner", "ImageUnavailableError", "KeySigner", "SigningError", "check_images",
           "declared_public_key", "signer_for", "supplied_image"]

#: How long a signing command may take for one image.
COMMAND_TIMEOUT_S = 60.0
_MAX_SIGNATURE_OUTPUT = 4096


class SigningError(HarnessUsageError):
    """The configured signing key or command cannot sign (one line: what and why)."""


class ImageUnavailableError(DutNotApplicableError):
    """The scenario needs an image this run cannot make: only the manufacturer's signed images
    are available and the image would need the manufacturer's key. A *not applicable* verdict."""

    def __init__(self, need: str, pics: Pics) -> None:
        have = pics.image_source()
        super().__init__(f"the scenario needs {need}; this run has {have} and no signing key to make "
                         "it (declare pixit.signing_key or pixit.signing_command)")


class KeySigner:
    """Signs with a P-256 private key, deterministically (RFC 6979). Quacks like the private key
    where the image builders call ``key.sign(data, ECDSA(SHA256))``."""

    def __init__(self, key: ec.EllipticCurvePrivateKey, source: str) -> None:
        self.key, self.source = key, source

    def sign(self, data: bytes, _algorithm: object = None) -> bytes:
        return self.key.sign(data, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))


class CommandSigner:
    """Signs by running ``command`` with the bytes on standard input (an HSM's client, openssl).
    Each distinct input is signed once per process (scenarios rebuild the same images)."""

    _signed: dict[tuple[str, bytes], bytes] = {}  # noqa: RUF012 - shared on purpose, see above

    def __init__(self, command: str, *, cwd: Path | None = None,
                 timeout_s: float = COMMAND_TIMEOUT_S) -> None:
        try:
            self.argv = shlex.split(command)
        except ValueError as err:
            raise SigningError(f"pixit.signing_command {command!r}: {err}") from None
        if not self.argv:
            raise SigningError("pixit.signing_command is empty")
        self.command, self.cwd, self.timeout_s = command, cwd, timeout_s
        self.source = "pixit.signing_command"
    def sign(self, data: bytes, _algorithm: object = None) -> bytes:
        key = (self.command, hashlib.sha256(data).digest())
        if key not in self._signed:
            self._signed[key] = self._run(data)
        return self._signed[key]

    def _run(self, data: bytes) -> bytes:
        where = f"pixit.signing_command {self.command!r}"
        try:
            proc = subprocess.run(self.argv, input=data, capture_output=True, timeout=self.timeout_s,  # noqa: S603
                                  cwd=self.cwd, check=False)
        except FileNotFoundError:
            raise SigningError(f"{where}: no such command {self.argv[0]!r}") from None
        except subprocess.TimeoutExpired:
            raise SigningError(f"{where}: no signature within {self.timeout_s:.0f} s") from None
        except OSError as err:
            raise SigningError(f"{where}: {err.strerror or err}") from None
        if proc.returncode != 0:
            said = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            last = f": {said[-1][:200]}" if said else ""
            raise SigningError(f"{where} exited with status {proc.returncode}{last}")
        out = proc.stdout[:_MAX_SIGNATURE_OUTPUT + 1]
        if len(out) == 64:  # r||s
            return signatures.raw_to_der(out)
        try:
            decode_dss_signature(out)
        except ValueError:
            raise SigningError(f"{where} printed {len(proc.stdout)} bytes that are neither a DER ECDSA "
                               "signature nor 64 bytes r||s") from None
        return out


def signer_for(pics: Pics) -> KeySigner | CommandSigner | None:
    """The run's image signer from the PIXIT (None: the suite's own test key)."""
    base = Path(pics.source).parent if pics.source and Path(pics.source).is_file() else None
    if pics.signing_key_pem is not None:
        key = serialization.load_pem_private_key(pics.signing_key_pem, password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)  # checked by load_pics
        return KeySigner(key, "pixit.signing_key")
    if pics.signing_command is not None:
        return CommandSigner(pics.signing_command, cwd=base)
    return None


def declared_public_key(pics: Pics) -> ec.EllipticCurvePublicKey | None:
    """The key the device verifies images with: [device] public_key, else the signing key's
    public half (None: the suite's own test key)."""
    if pics.public_key_pem is not None:
        return signatures.load_public_key_pem(pics.public_key_pem)
    if pics.signing_key_pem is not None:
        key = serialization.load_pem_private_key(pics.signing_key_pem, password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return key.public_key()
    return None


def resign(image: bytes, signer: KeySigner | CommandSigner) -> bytes:
    """A signed GBCS image with its trailer signature replaced by ``signer``'s over the same bytes."""
    from .models.premises import sign_deterministically

    # Both signers quack like the private key: sign_deterministically only calls .sign(data, ECDSA).
    return sign_deterministically(image, signer)  # type: ignore[arg-type]


def check_images(pics: Pics) -> str:
    """Pre-flight: prove the run can make images the device accepts. Returns one line saying how;
    raises SigningError (one line) when the signing key or the supplied images do not verify under
    the declared public key, or do not match the device's identity."""
    public = declared_public_key(pics)
    signer = signer_for(pics)
    if signer is not None:
        assert public is not None
        probe = _probe_image(pics, signer)
        try:
            signatures.verify_image(ota_image.parse_image(probe, max_size=len(probe)), public)
        except ProtocolError:
            raise SigningError(
                f"pre-flight: an image signed with {signer.source} does not verify under the declared "
                f"public key ([device] public_key in {pics.source}): the two keys are not a pair") from None
        return f"images are signed with {signer.source}; a probe image verified under the declared public key"
    if pics.newer_image is None:
        return "images are signed with the suite's own test key (no [device] public_key declared)"
    assert public is not None
    _check_supplied(pics, pics.newer_image, public, newer=True)
    if pics.older_image is not None:
        _check_supplied(pics, pics.older_image, public, newer=False)
    return f"{pics.image_source()} verified under the declared public key"


def supplied_image(pics: Pics, size: Size, relation: Relation, *, zigbee: bool,
                   taken: set[int]) -> tuple[bytes, int]:
    """The manufacturer's signed image that stands for the scenario's "signed image of SIZE with
    a RELATION file version" (its bytes and file version); ImageUnavailableError when none can.

    A plain size ("200 kB") is incidental to the scenario, and a supplied image of any size within
    the limit stands for it; a size stated against the size limit or the declared capacity, or
    "header only", is what the scenario checks, and only the manufacturer's key could make it."""
    if zigbee:
        raise ImageUnavailableError("a ZigBee OTA image signed by the manufacturer", pics)
    if size.header_only or size.limit_times or size.capacity:
        what = ("header only" if size.header_only else "the declared capacity" if size.capacity
                else f"{size.resolve(pics.max_image_bytes):,} bytes")
        if size.capacity and size.extra:
            what += f" {size.extra:+,} bytes"
        raise ImageUnavailableError(f"a signed image of exactly {what}", pics)
    supplied = {Relation.NEWER: pics.newer_image, Relation.OLDER: pics.older_image}.get(relation)
    if supplied is None:
        need = ("an older signed image (pixit.older_image)" if relation is Relation.OLDER
                else "a signed image with the device's own file version")
        raise ImageUnavailableError(need, pics)
    version = ota_image.parse_image(supplied.data, max_size=len(supplied.data)).header.file_version
    if version in taken:
        raise ImageUnavailableError(f"a second {relation.value} signed image", pics)
    return supplied.data, version


def _probe_image(pics: Pics, signer: KeySigner | CommandSigner) -> bytes:
    from .models.premises import deterministic_key

    placeholder = deterministic_key(0)  # signs first; the signer's signature replaces it
    image = ota_image.build_gbcs_image(
        manufacturer_code=pics.manufacturer_code, image_type=pics.image_type,
        file_version=(pics.file_version + 1) & 0xFFFFFFFF, manufacturer_image=b"hanota pre-flight probe",
        private_key=placeholder)
    return resign(image, signer)


def _check_supplied(pics: Pics, supplied: SuppliedImage, public: ec.EllipticCurvePublicKey, *,
                    newer: bool) -> None:
    where = f"pre-flight: {supplied.source}"
    try:
        image = ota_image.parse_image(supplied.data, max_size=len(supplied.data))
    except ProtocolError as err:
        raise SigningError(f"{where}: not an OTA image: {err}") from None
    if image.format is not ota_image.ImageFormat.GBCS:
        raise SigningError(f"{where}: a {image.format.value} image; supplied images are GBCS Upgrade Images")
    try:
        signatures.verify_image(image, public)
    except ProtocolError as err:
        raise SigningError(f"{where}: does not verify under the declared public key ([device] public_key "
                           f"in {pics.source}): {err}") from None
    h = image.header
    differ = [f"{name} 0x{got:x} (the device: 0x{want:x})" for name, got, want in (
        ("manufacturer_code", h.manufacturer_code, pics.manufacturer_code),
        ("image_type", h.image_type, pics.image_type)) if got != want]
    if differ:
        raise SigningError(f"{where}: made for another device: {', '.join(differ)}")
    if (h.file_version <= pics.file_version) if newer else (h.file_version >= pics.file_version):
        relation = "newer" if newer else "older"
        raise SigningError(f"{where}: file version 0x{h.file_version:08x} is not {relation} than the "
                           f"device's 0x{pics.file_version:08x} ([device] file_version)")
    if len(supplied.data) > pics.max_image_bytes:
        raise SigningError(f"{where}: {len(supplied.data):,} bytes, above the size limit "
                           f"({pics.max_image_bytes:,} bytes, pixit.max_image_bytes)")
