"""Image authenticity: the Manufacturer Image Hash and the GBCS trailer signature.

- The hash is SHA-256 over the Manufacturer Image, exactly as GBCS Activate Firmware (CS06)
  carries it; a mismatch raises :class:`ImageHashMismatchError`.
- The signature is this project's reference profile (domain.md section 5): ECDSA P-256 with
  SHA-256, stored as 64 bytes r||s (big-endian, 32 each) after a big-endian 0x0040, computed
  over :attr:`OtaImage.signed_bytes` = every byte of the file before the trailer (the header,
  whose total image size already counts the trailer, and the Manufacturer Image). A missing
  signature and one that does not verify are distinct errors.
- ZigBee suite 1/2 signature and certificate sub-elements use binary curves that
  ``cryptography`` no longer offers: they are parsed and preserved, never verified here.
"""

from __future__ import annotations

import hmac

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from .errors import (
    HarnessUsageError,
    ImageHashMismatchError,
    SignatureInvalidError,
    SignatureMissingError,
)
from .ota_image import ImageFormat, OtaImage, manufacturer_image_hash

__all__ = [
    "ImageHashMismatchError",
    "SignatureInvalidError",
    "SignatureMissingError",
    "check_manufacturer_image_hash",
    "generate_test_key",
    "load_private_key_pem",
    "load_public_key_pem",
    "public_key_pem",
    "sign_image_bytes",
    "verify_image",
]

_COORD = 32
_SIGNATURE_SIZE = 2 * _COORD


def generate_test_key() -> ec.EllipticCurvePrivateKey:
    """A fresh P-256 key for test images (never a real manufacturer's key)."""
    return ec.generate_private_key(ec.SECP256R1())


def _require_p256(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> None:
    if not isinstance(key.curve, ec.SECP256R1):
        raise HarnessUsageError(f"the image signature uses P-256 (secp256r1), not {key.curve.name}")


def load_private_key_pem(data: bytes) -> ec.EllipticCurvePrivateKey:
    """Load an unencrypted PEM P-256 private key; HarnessUsageError if it is anything else."""
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as err:
        raise HarnessUsageError(f"not an unencrypted PEM private key: {err}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise HarnessUsageError("the private key is not an elliptic-curve key")
    _require_p256(key)
    return key


def load_public_key_pem(data: bytes) -> ec.EllipticCurvePublicKey:
    """Load a PEM P-256 public key (a private key PEM is accepted and its public half used)."""
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        return load_private_key_pem(data).public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise HarnessUsageError("the public key is not an elliptic-curve key")
    _require_p256(key)
    return key


def public_key_pem(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> bytes:
    """SubjectPublicKeyInfo PEM of ``key`` (its public half for a private key)."""
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def sign_image_bytes(signed_bytes: bytes, key: ec.EllipticCurvePrivateKey) -> bytes:
    """ECDSA P-256 / SHA-256 signature of ``signed_bytes`` as 64 bytes r||s."""
    _require_p256(key)
    r, s = decode_dss_signature(key.sign(signed_bytes, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(_COORD, "big") + s.to_bytes(_COORD, "big")


def verify_image(image: OtaImage, public_key: ec.EllipticCurvePublicKey) -> None:
    """Verify the GBCS trailer signature of ``image`` with ``public_key``.

    SignatureMissingError if the image carries no trailer (every ZigBee OTA file: their suite 1/2
    signatures are not verified); SignatureInvalidError if it does not verify.
    """
    _require_p256(public_key)
    if image.signature is None:
        why = ("a ZigBee OTA file carries no GBCS signature trailer"
               if image.format is ImageFormat.ZIGBEE_OTA else "the image has no signature trailer")
        raise SignatureMissingError(why, field="signature", offset=len(image.raw))
    sig_at = len(image.raw) - _SIGNATURE_SIZE
    r = int.from_bytes(image.signature[:_COORD], "big")
    s = int.from_bytes(image.signature[_COORD:], "big")
    try:
        public_key.verify(encode_dss_signature(r, s), image.signed_bytes, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise SignatureInvalidError(
            "ECDSA P-256 signature does not verify over the header and Manufacturer Image with the given key",
            field="signature", offset=sig_at) from None


def check_manufacturer_image_hash(image: OtaImage, expected: bytes) -> None:
    """Raise ImageHashMismatchError unless SHA-256(Manufacturer Image) equals ``expected``."""
    actual = manufacturer_image_hash(image)
    if len(expected) != len(actual) or not hmac.compare_digest(actual, bytes(expected)):
        raise ImageHashMismatchError(
            f"Manufacturer Image hash {actual.hex()} does not match the expected {bytes(expected).hex()}",
            field="manufacturer_image", offset=image.header.header_length)
