"""Image authenticity: the Manufacturer Image Hash and the GBCS trailer signature.

- The hash is SHA-256 over the Manufacturer Image, exactly as GBCS Activate Firmware (CS06)
  carries it; a mismatch raises :class:`ImageHashMismatchError`.
- The signature is this project's reference profile (domain.md section 5): ECDSA P-256 with
  SHA-256, stored as 64 bytes r||s (big-endian, 32 each) after a big-endian 0x0040, computed
  over :attr:`OtaImage.signed_bytes` = every byte of the file before the trailer (the header,
  whose total image size already counts the trailer, and the Manufacturer Image). A missing
  signature and one that does not verify are distinct errors.
- A ZigBee OTA file is signed the same way in the reference profile's signature sub-element
  (:data:`~protocol.ota_image.P256_SIGNATURE_TAG`, 64 bytes r||s), over every byte before that
  sub-element's tag. It must be the file's only such sub-element and its last: anything after it
  (a second upgrade image, a copy of the signature, an unknown tag) was not signed, and the file
  is refused with :class:`UnsignedDataError` naming the first such sub-element.
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
    UnsignedDataError,
)
from .ota_image import P256_SIGNATURE_SIZE, P256_SIGNATURE_TAG, ImageFormat, OtaImage, manufacturer_image_hash

__all__ = [
    "ImageHashMismatchError",
    "SignatureInvalidError",
    "SignatureMissingError",
    "UnsignedDataError",
    "check_manufacturer_image_hash",
    "generate_test_key",
    "load_private_key_pem",
    "load_public_key_pem",
    "der_to_raw",
    "public_key_pem",
    "raw_to_der",
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


def der_to_raw(der: bytes) -> bytes:
    """A DER ECDSA P-256 signature (what ``cryptography`` makes) as the 64 bytes r||s images carry."""
    r, s = decode_dss_signature(der)
    return r.to_bytes(_COORD, "big") + s.to_bytes(_COORD, "big")


def raw_to_der(raw: bytes) -> bytes:
    """64 bytes r||s (big-endian, 32 each) as a DER ECDSA signature."""
    if len(raw) != 2 * _COORD:
        raise ValueError(f"r||s is {2 * _COORD} bytes, not {len(raw)}")
    return encode_dss_signature(int.from_bytes(raw[:_COORD], "big"), int.from_bytes(raw[_COORD:], "big"))


def sign_image_bytes(signed_bytes: bytes, key: ec.EllipticCurvePrivateKey) -> bytes:
    """ECDSA P-256 / SHA-256 signature of ``signed_bytes`` as 64 bytes r||s."""
    _require_p256(key)
    return der_to_raw(key.sign(signed_bytes, ec.ECDSA(hashes.SHA256())))


def verify_image(image: OtaImage, public_key: ec.EllipticCurvePublicKey) -> None:
    """Verify the manufacturer signature of ``image`` with ``public_key``.

    A GBCS Upgrade Image: its trailer signature. A ZigBee OTA file: its P-256 signature
    sub-element (suite 1/2 signatures are not verified). SignatureMissingError if there is none;
    UnsignedDataError if a ZigBee file has a sub-element after its signature or a second one;
    SignatureInvalidError if it does not verify.
    """
    _require_p256(public_key)
    if image.format is ImageFormat.ZIGBEE_OTA:
        _verify_zigbee(image, public_key)
        return
    if image.signature is None:
        raise SignatureMissingError("the image has no signature trailer", field="signature",
                                    offset=len(image.raw))
    sig_at = len(image.raw) - _SIGNATURE_SIZE
    _verify_bytes(image.signed_bytes, image.signature, public_key, "the header and Manufacturer Image",
                  field="signature", offset=sig_at)


def _verify_zigbee(image: OtaImage, public_key: ec.EllipticCurvePublicKey) -> None:
    """The reference profile's signature of a ZigBee OTA file: one P-256 sub-element, the last."""
    marks = [i for i, e in enumerate(image.sub_elements) if e.tag == P256_SIGNATURE_TAG]
    if not marks:
        raise SignatureMissingError(
            f"a ZigBee OTA file needs the P-256 signature sub-element 0x{P256_SIGNATURE_TAG:04x} "
            "(suite 1/2 signatures are not verified)", field="sub_elements", offset=len(image.raw))
    index = marks[0]
    element = image.sub_elements[index]
    if len(marks) > 1:
        second = image.sub_elements[marks[1]]
        raise UnsignedDataError(
            f"a second signature sub-element 0x{P256_SIGNATURE_TAG:04x}: a file carries one "
            f"signature, its last sub-element (the first is sub_elements[{index}])",
            field=f"sub_elements[{marks[1]}].tag", offset=second.offset)
    if index != len(image.sub_elements) - 1:
        after = image.sub_elements[index + 1]
        raise UnsignedDataError(
            f"sub-element 0x{after.tag:04x} follows the signature, which covers only the bytes "
            "before it: the signature must be the last sub-element",
            field=f"sub_elements[{index + 1}].tag", offset=after.offset)
    name = f"sub_elements[{index}]"
    if len(element.value) != P256_SIGNATURE_SIZE:
        raise SignatureInvalidError(
            f"the signature sub-element holds {len(element.value)} bytes; r||s is {P256_SIGNATURE_SIZE}",
            field=f"{name}.length", offset=element.offset + 2)
    _verify_bytes(image.raw[:element.offset], element.value, public_key,
                  "every byte before the signature sub-element", field=f"{name}.value",
                  offset=element.offset + 6)


def _verify_bytes(signed: bytes, signature: bytes, public_key: ec.EllipticCurvePublicKey, what: str, *,
                  field: str, offset: int) -> None:
    try:
        public_key.verify(raw_to_der(signature), signed, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise SignatureInvalidError(
            f"ECDSA P-256 signature does not verify over {what} with the given key",
            field=field, offset=offset) from None


def check_manufacturer_image_hash(image: OtaImage, expected: bytes) -> None:
    """Raise ImageHashMismatchError unless SHA-256(Manufacturer Image) equals ``expected``."""
    actual = manufacturer_image_hash(image)
    if len(expected) != len(actual) or not hmac.compare_digest(actual, bytes(expected)):
        raise ImageHashMismatchError(
            f"Manufacturer Image hash {actual.hex()} does not match the expected {bytes(expected).hex()}",
            field="manufacturer_image", offset=image.header.header_length)
