"""The GBCS trailer signature and the Manufacturer Image Hash: good, bad, missing."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from protocol.errors import (
    HarnessUsageError,
    ImageHashMismatchError,
    SignatureInvalidError,
    SignatureMissingError,
)
from protocol.ota_image import build_gbcs_image, build_zigbee_image, parse_image
from protocol.signatures import (
    check_manufacturer_image_hash,
    generate_test_key,
    load_private_key_pem,
    load_public_key_pem,
    public_key_pem,
    sign_image_bytes,
    verify_image,
)

KEY = generate_test_key()
MI = b"Manufacturer Image " * 20


def _signed(key=KEY, mi=MI):
    return build_gbcs_image(manufacturer_code=0x121D, image_type=0x84, file_version=9, manufacturer_image=mi,
                            private_key=key, minimum_hardware_version=1, maximum_hardware_version=2)


def test_good_signature_verifies():
    verify_image(parse_image(_signed()), KEY.public_key())


def test_signature_is_64_bytes_r_s():
    sig = sign_image_bytes(b"data", KEY)
    assert len(sig) == 64
    image = parse_image(_signed())
    assert image.signature is not None and len(image.signature) == 64


def test_other_key_is_invalid():
    with pytest.raises(SignatureInvalidError) as err:
        verify_image(parse_image(_signed()), generate_test_key().public_key())
    assert err.value.field == "signature"


@pytest.mark.parametrize("where", ["header", "image", "signature"])
def test_tampering_is_invalid(where):
    data = bytearray(_signed())
    index = {"header": 14, "image": 80, "signature": len(data) - 10}[where]  # file version, MI, s
    data[index] ^= 0x01
    with pytest.raises(SignatureInvalidError):
        verify_image(parse_image(bytes(data)), KEY.public_key())


def test_missing_signature():
    unsigned = build_gbcs_image(manufacturer_code=1, image_type=2, file_version=3, manufacturer_image=MI)
    with pytest.raises(SignatureMissingError):
        verify_image(parse_image(unsigned), KEY.public_key())
    zigbee = build_zigbee_image(manufacturer_code=1, image_type=2, file_version=3, sub_elements=[(0, MI)])
    with pytest.raises(SignatureMissingError):
        verify_image(parse_image(zigbee), KEY.public_key())


def test_hash_match_and_mismatch_are_distinct():
    image = parse_image(_signed())
    check_manufacturer_image_hash(image, hashlib.sha256(MI).digest())
    with pytest.raises(ImageHashMismatchError) as err:
        check_manufacturer_image_hash(image, hashlib.sha256(MI + b"!").digest())
    assert not isinstance(err.value, SignatureInvalidError)
    with pytest.raises(ImageHashMismatchError):
        check_manufacturer_image_hash(image, b"short")


def test_pem_roundtrip():
    from cryptography.hazmat.primitives import serialization

    pem = KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    key = load_private_key_pem(pem)
    public = load_public_key_pem(public_key_pem(key))
    verify_image(parse_image(_signed(key)), public)
    assert load_public_key_pem(pem).public_numbers() == public.public_numbers()


def test_wrong_keys_are_usage_errors():
    with pytest.raises(HarnessUsageError):
        load_public_key_pem(b"not a key")
    other = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(HarnessUsageError):
        load_public_key_pem(public_key_pem(other))
