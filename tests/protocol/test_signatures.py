"""The GBCS trailer signature and the Manufacturer Image Hash: good, bad, missing."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from hanota.protocol.errors import (
    HarnessUsageError,
    ImageHashMismatchError,
    SignatureInvalidError,
    SignatureMissingError,
    UnsignedDataError,
    ValidationError,
)
from hanota.protocol.ota_image import P256_SIGNATURE_TAG, build_gbcs_image, build_zigbee_image, parse_image
from hanota.protocol.signatures import (
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


# ------------------------------------------------------------------ ZigBee OTA files (reference profile)
def _zigbee(key=KEY, elements=((0x0000, MI),), **kw):
    return build_zigbee_image(manufacturer_code=0x121D, image_type=0x84, file_version=9,
                              sub_elements=list(elements), private_key=key, **kw)


def _element(tag: int, value: bytes) -> bytes:
    return tag.to_bytes(2, "little") + len(value).to_bytes(4, "little") + value


def _with_total(data: bytes) -> bytes:
    """The file with its header's total image size made to count every byte (breaks the signature)."""
    return data[:52] + len(data).to_bytes(4, "little") + data[56:]


def test_zigbee_signature_element_is_last_and_verifies():
    data = _zigbee(integrity_code=True)
    image = parse_image(data)
    assert [e.tag for e in image.sub_elements] == [0x0000, 0x0003, P256_SIGNATURE_TAG]
    assert image.signed_bytes == data[:image.sub_elements[-1].offset]
    assert image.signature is None  # the GBCS trailer; ZigBee files have none
    verify_image(image, KEY.public_key())


def test_zigbee_signature_by_another_key_names_the_element():
    image = parse_image(_zigbee())
    with pytest.raises(SignatureInvalidError) as err:
        verify_image(image, generate_test_key().public_key())
    sig = image.sub_elements[-1]
    assert (err.value.field, err.value.offset) == ("sub_elements[1].value", sig.offset + 6)
    assert not isinstance(err.value, UnsignedDataError)


@pytest.mark.parametrize("where", [14, 52, 100])  # file version, total image size, upgrade image
def test_zigbee_tampering_is_invalid(where):
    data = bytearray(_zigbee())
    data[where] ^= 0x01
    if where == 52:  # a total size that no longer matches the file is refused by the parser
        with pytest.raises(ValidationError) as err:
            parse_image(bytes(data))
        assert err.value.field == "header.total_image_size"
        return
    with pytest.raises(SignatureInvalidError):
        verify_image(parse_image(bytes(data)), KEY.public_key())


def test_zigbee_file_without_signature_element_is_missing():
    unsigned = _zigbee(key=None)
    with pytest.raises(SignatureMissingError) as err:
        verify_image(parse_image(unsigned), KEY.public_key())
    assert err.value.field == "sub_elements"


@pytest.mark.parametrize(("name", "smuggle", "field"), [
    ("second upgrade image after the signature", lambda d: d + _element(0x0000, b"evil"),
     "sub_elements[2].tag"),
    ("unknown tag after the signature", lambda d: d + _element(0x0100, b"evil"), "sub_elements[2].tag"),
    ("signature duplicated", lambda d: d + d[-70:], "sub_elements[2].tag"),
    ("upgrade image and a copy of the signature after it",
     lambda d: d + _element(0x0000, b"evil") + d[-70:], "sub_elements[3].tag"),
])
def test_anything_after_the_zigbee_signature_is_unsigned_data(name, smuggle, field):
    # With the total image size left as signed, the parser refuses the longer file ...
    data = smuggle(_zigbee())
    with pytest.raises(ValidationError) as err:
        parse_image(data)
    assert (err.value.field, err.value.offset) == ("header.total_image_size", 52)
    # ... and a file whose total counts the extra bytes is refused by the signature rules,
    # naming the first sub-element the signature does not cover.
    image = parse_image(_with_total(data))
    with pytest.raises(UnsignedDataError) as err:
        verify_image(image, KEY.public_key())
    index = int(field.split("[")[1].split("]")[0])
    assert (err.value.field, err.value.offset) == (field, image.sub_elements[index].offset)


def test_zigbee_signature_before_the_upgrade_image_is_unsigned_data():
    data = _zigbee()
    image = parse_image(data)
    upgrade, sig = image.sub_elements
    reordered = data[:upgrade.offset] + data[sig.offset:] + data[upgrade.offset:sig.offset]
    moved = parse_image(reordered)
    with pytest.raises(UnsignedDataError) as err:
        verify_image(moved, KEY.public_key())
    assert (err.value.field, err.value.offset) == ("sub_elements[1].tag", moved.sub_elements[1].offset)


def test_zigbee_signature_element_of_the_wrong_size_is_invalid():
    data = _zigbee(key=None, elements=((0x0000, MI), (P256_SIGNATURE_TAG, bytes(63))))
    image = parse_image(data)
    with pytest.raises(SignatureInvalidError) as err:
        verify_image(image, KEY.public_key())
    assert (err.value.field, err.value.offset) == ("sub_elements[1].length", image.sub_elements[1].offset + 2)


def test_gbcs_bytes_after_the_trailer_are_refused():
    data = _signed()
    with pytest.raises(ValidationError) as err:  # total image size left as signed
        parse_image(data + b"evil")
    assert (err.value.field, err.value.offset) == ("header.total_image_size", 52)
    # counted in the total, the header no longer matches its signature (or there is none at the end)
    with pytest.raises((SignatureInvalidError, SignatureMissingError)):
        verify_image(parse_image(_with_total(data + b"evil")), KEY.public_key())
    with pytest.raises(SignatureInvalidError):
        verify_image(parse_image(_with_total(data + data[-66:])), KEY.public_key())


def test_gbcs_device_specific_file_signs_its_destination():
    data = build_gbcs_image(manufacturer_code=1, image_type=2, file_version=3, manufacturer_image=MI,
                            private_key=KEY, upgrade_file_destination=0x000D6F0001020304)
    image = parse_image(data)
    assert image.header.upgrade_file_destination == 0x000D6F0001020304 and image.header.header_length == 64
    verify_image(image, KEY.public_key())
    other = bytearray(data)
    other[56] ^= 0x01  # the destination's first octet (little-endian EUI-64 after the base header)
    with pytest.raises(SignatureInvalidError):
        verify_image(parse_image(bytes(other)), KEY.public_key())
