"""Fragments of images above the size limit: layout, splitting, each named failure, resuming."""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path

import pytest
import zigpy.ota.image as zigpy_image
from hypothesis import given
from hypothesis import strategies as st

from hanota.protocol._fields import decode, encode
from hanota.protocol.errors import (
    DecodeError,
    ImageHashMismatchError,
    ProtocolError,
    SignatureInvalidError,
    SignatureMissingError,
    SizeLimitError,
    ValidationError,
)
from hanota.protocol.fragments import (
    DESCRIPTOR,
    DESCRIPTOR_SIZE,
    FRAGMENT_DESCRIPTOR_TAG,
    WHOLE_FORMATS,
    ForeignFragmentError,
    FragmentBoundsError,
    FragmentConflictError,
    FragmentCorruptError,
    FragmentCountChangedError,
    FragmentDescriptor,
    FragmentFormatError,
    FragmentInconsistentError,
    FragmentMissingError,
    FragmentOverlapError,
    Reassembler,
    WholeImageDigestError,
    build_fragment,
    fragments_needed,
    parse_fragment,
    reassemble,
    split_image,
)
from hanota.protocol.limits import DEFAULT_MAX_IMAGE_BYTES, DEFAULT_MAX_WHOLE_IMAGE_BYTES, check_image_size
from hanota.protocol.ota_image import ImageFormat, build_gbcs_image, build_zigbee_image, parse_image
from hanota.protocol.signatures import generate_test_key

MFR, TYPE, VERSION = 0x1234, 0x0042, 0x01020304
# A small limit keeps the unit tests fast; boundary tests use the configured limits below.
SMALL = 400


def zigbee(size: int, *, seed: int = 1, **kw) -> bytes:
    """A ZigBee OTA file of exactly ``size`` bytes (header 56 + one upgrade element 6 + payload)."""
    payload = hashlib.shake_256(seed.to_bytes(4, "big")).digest(size - 62)
    return build_zigbee_image(manufacturer_code=kw.pop("manufacturer_code", MFR), image_type=TYPE,
                              file_version=kw.pop("file_version", VERSION),
                              sub_elements=[(0x0000, payload)], **kw)


def forge(fragment: bytes, *, payload: bytes | None = None, **changes) -> bytes:
    """Rebuild ``fragment`` with descriptor fields changed (slice SHA-256 kept right unless given)."""
    frag = parse_fragment(fragment, max_bytes=None)
    body = bytes(frag.payload) if payload is None else payload
    if "fragment_length" not in changes:
        changes["fragment_length"] = len(body)
    if "fragment_sha256" not in changes:
        changes["fragment_sha256"] = hashlib.sha256(body).digest()
    desc = dataclasses.replace(frag.descriptor, **changes)
    return build_fragment(desc, body, template=frag.header)


@pytest.fixture(scope="module")
def image() -> bytes:
    return zigbee(1500)


@pytest.fixture(scope="module")
def parts(image: bytes) -> list[bytes]:
    return split_image(image, max_bytes=SMALL)


def small() -> Reassembler:
    return Reassembler(max_fragment_bytes=SMALL)


# --- the descriptor and the layout ------------------------------------------------------------


def test_descriptor_layout_is_94_little_endian_bytes() -> None:
    desc = FragmentDescriptor(
        fragment_index=1, fragment_count=3, fragment_offset=0x100, fragment_length=0x80, total_size=0x200,
        manufacturer_code=0x1234, image_type=0x0042, file_version=0x01020304,
        whole_format="gbcs-upgrade-image",
        fragment_sha256=bytes(range(100, 132)), whole_digest=bytes(range(32)))
    expected = bytes.fromhex(
        "484f4644" "02" "01" "0100" "0300" "00010000" "80000000" "00020000" "3412" "4200" "04030201"
        ) + bytes(range(100, 132)) + bytes(range(32))
    assert desc.to_bytes() == expected
    assert len(expected) == DESCRIPTOR_SIZE
    assert FragmentDescriptor.from_bytes(expected) == desc


def test_descriptor_refuses_unknown_format_and_version() -> None:
    good = bytearray(split_and_first_descriptor())
    bad_format = bytes(good[:5]) + b"\x07" + bytes(good[6:])
    with pytest.raises(DecodeError) as err:
        FragmentDescriptor.from_bytes(bad_format)
    assert "whole_format" in err.value.field
    for version in (b"\x01", b"\x03"):  # version 1 carried a CRC-32 where version 2 has a SHA-256
        with pytest.raises(DecodeError):
            FragmentDescriptor.from_bytes(bytes(good[:4]) + version + bytes(good[5:]))


def split_and_first_descriptor() -> bytes:
    first = split_image(zigbee(1000), max_bytes=SMALL)[0]
    return parse_fragment(first, max_bytes=SMALL).descriptor.to_bytes()


def test_fragment_layout(image: bytes, parts: list[bytes]) -> None:
    parsed = [parse_image(p, expected_format=ImageFormat.ZIGBEE_OTA) for p in parts]
    for i, (p, img) in enumerate(zip(parts, parsed, strict=True)):
        assert [e.tag for e in img.sub_elements] == [FRAGMENT_DESCRIPTOR_TAG, 0x0000]
        assert (img.header.manufacturer_code, img.header.image_type, img.header.file_version) == (MFR, TYPE,
                                                                                                  VERSION)
        assert img.header.header_string.rstrip(b"\x00") == f"HANOTA-FRAGMENT {i + 1}/{len(parts)}".encode()
        assert len(p) <= SMALL
    assert b"".join(parse_fragment(p, max_bytes=SMALL).payload for p in parts) == image


def test_every_fragment_parses_in_zigpy(parts: list[bytes]) -> None:
    for p in parts:
        img, rest = zigpy_image.parse_ota_image(p)
        assert rest == b""
        assert img.header.manufacturer_id == MFR
        assert [int(e.tag_id) for e in img.subelements] == [FRAGMENT_DESCRIPTOR_TAG, 0x0000]


def test_header_optional_fields_are_copied_into_fragments() -> None:
    whole = zigbee(1200, minimum_hardware_version=1, maximum_hardware_version=7,
                   upgrade_file_destination=0x0011223344556677)
    for p in split_image(whole, max_bytes=SMALL):
        h = parse_image(p).header
        assert (h.minimum_hardware_version, h.maximum_hardware_version) == (1, 7)
        assert h.upgrade_file_destination == 0x0011223344556677
        assert len(p) <= SMALL
    assert reassemble(split_image(whole, max_bytes=SMALL), max_fragment_bytes=SMALL) == whole


def test_gbcs_fragments_are_zigbee_files_whose_descriptor_says_gbcs() -> None:
    key = generate_test_key()
    whole = build_gbcs_image(manufacturer_code=MFR, image_type=TYPE, file_version=VERSION,
                             manufacturer_image=os.urandom(1000), private_key=key)
    parts = split_image(whole, max_bytes=SMALL, fmt=ImageFormat.GBCS)
    for p in parts:
        assert parse_fragment(p, max_bytes=SMALL).descriptor.whole_format == "gbcs-upgrade-image"
        zigpy_image.parse_ota_image(p)
    r = Reassembler(max_fragment_bytes=SMALL, public_key=key.public_key())
    for p in reversed(parts):
        r.add(p)
    assert r.result() == whole


# --- the size rule and its boundaries ----------------------------------------------------------


def test_default_limit_is_750_times_1024() -> None:
    assert DEFAULT_MAX_IMAGE_BYTES == 750 * 1024 == 768_000
    assert DEFAULT_MAX_WHOLE_IMAGE_BYTES == 16 * 1024 * 1024


@pytest.mark.parametrize("limit", [DEFAULT_MAX_IMAGE_BYTES, 750_000])
def test_check_image_size_boundaries(limit: int) -> None:
    check_image_size(limit - 1, limit)
    check_image_size(limit, limit)
    with pytest.raises(SizeLimitError) as err:
        check_image_size(limit + 1, limit, field="image")
    assert err.value.field == "image"
    assert str(limit) in str(err.value)


@pytest.mark.parametrize("limit", [DEFAULT_MAX_IMAGE_BYTES, 750_000])
@pytest.mark.parametrize("delta,count", [(-1, 1), (0, 1), (1, 2)])
def test_split_at_the_limit_boundaries(limit: int, delta: int, count: int) -> None:
    whole = zigbee(limit + delta)
    parts = split_image(whole, max_bytes=limit)
    assert len(parts) == count == fragments_needed(len(whole), max_bytes=limit)
    assert all(len(p) <= limit for p in parts)
    if count == 1:
        assert parts == [whole]  # within the limit: distributed as it is
    else:
        assert len(parts[0]) == limit  # the first fragment fills the limit exactly
        assert reassemble(parts, max_fragment_bytes=limit) == whole


def test_empty_payload_image_needs_no_fragments() -> None:
    whole = build_gbcs_image(manufacturer_code=MFR, image_type=TYPE, file_version=VERSION,
                             manufacturer_image=b"")
    assert split_image(whole, max_bytes=DEFAULT_MAX_IMAGE_BYTES) == [whole]


def test_fragment_above_the_configured_limit_is_refused(parts: list[bytes]) -> None:
    with pytest.raises(SizeLimitError) as err:
        Reassembler(max_fragment_bytes=len(parts[0]) - 1).add(parts[0])
    assert err.value.field == "fragment"


def test_declared_total_above_the_whole_cap_is_refused_before_anything_is_kept(parts: list[bytes]) -> None:
    forged = forge(parts[0], total_size=DEFAULT_MAX_WHOLE_IMAGE_BYTES + 1)
    r = small()
    with pytest.raises(SizeLimitError) as err:
        r.add(forged)
    assert err.value.field == "descriptor.total_size"
    assert r.descriptor is None


def test_max_bytes_too_small_for_any_slice_is_a_usage_error(image: bytes) -> None:
    from hanota.protocol.errors import HarnessUsageError

    with pytest.raises(HarnessUsageError):
        split_image(image, max_bytes=56 + 78)


# --- reassembly: any order, duplicates ---------------------------------------------------------


def test_any_order_and_identical_duplicates(image: bytes, parts: list[bytes]) -> None:
    r = small()
    for p in [parts[2], parts[0], parts[2], parts[1], parts[0], *parts[3:], parts[-1]]:
        r.add(p)
    assert r.complete and r.missing() == []
    assert r.result() == image


def test_missing_lists_what_is_not_held(parts: list[bytes]) -> None:
    r = small()
    assert r.missing() == [] and not r.complete
    r.add(parts[1])
    assert r.missing() == [i for i in range(len(parts)) if i != 1]
    assert r.expected_count == len(parts)


# --- each named failure ------------------------------------------------------------------------


def test_not_a_fragment() -> None:
    with pytest.raises(FragmentFormatError) as err:
        small().add(zigbee(300))
    assert err.value.field == "sub_elements[0].tag" and err.value.offset == 56
    assert isinstance(err.value, DecodeError)


def test_bad_magic_is_a_format_error(parts: list[bytes]) -> None:
    broken = bytearray(parts[0])
    broken[56 + 6] ^= 0xFF
    with pytest.raises(FragmentFormatError) as err:
        small().add(bytes(broken))
    assert err.value.field.startswith("descriptor") and err.value.offset == 62


def test_truncated_or_extended_fragment(parts: list[bytes]) -> None:
    for cut in (10, 60, 100, len(parts[0]) - 1):
        with pytest.raises(ProtocolError):  # the header's total image size no longer matches
            small().add(parts[0][:cut])
    with pytest.raises(ProtocolError):
        small().add(parts[1] + b"\x00")


def test_payload_damage_is_corruption(parts: list[bytes]) -> None:
    broken = bytearray(parts[1])
    broken[-5] ^= 0x01
    r = small()
    with pytest.raises(FragmentCorruptError) as err:
        r.add(bytes(broken))
    assert err.value.field == "sub_elements[1].value" and err.value.offset == 56 + 6 + 94 + 6
    assert r.descriptor is None
    r.add(parts[1])  # the intact copy is then accepted


def test_index_not_below_count(parts: list[bytes]) -> None:
    with pytest.raises(FragmentInconsistentError) as err:
        small().add(forge(parts[0], fragment_index=len(parts)))
    assert err.value.field == "descriptor.fragment_index" and err.value.offset == 62 + 6


def test_header_identity_differs_from_descriptor(parts: list[bytes]) -> None:
    frag = parse_fragment(parts[0], max_bytes=None)
    other = dataclasses.replace(frag.descriptor, file_version=VERSION + 1)
    forged = build_fragment(other, bytes(frag.payload), template=frag.header)
    forged = forged[:14] + VERSION.to_bytes(4, "little") + forged[18:]  # header keeps the old version
    with pytest.raises(FragmentInconsistentError) as err:
        small().add(forged)
    assert err.value.field == "header.file_version" and err.value.offset == 14


def test_offset_past_the_declared_total(parts: list[bytes]) -> None:
    total = parse_fragment(parts[0], max_bytes=None).descriptor.total_size
    with pytest.raises(FragmentBoundsError) as err:
        small().add(forge(parts[0], fragment_offset=total - 10))
    assert err.value.field == "descriptor.fragment_offset"


def test_conflicting_duplicate(parts: list[bytes]) -> None:
    r = small()
    r.add(parts[0])
    body = bytes(parse_fragment(parts[0], max_bytes=None).payload)
    with pytest.raises(FragmentConflictError) as err:
        r.add(forge(parts[0], payload=body[:-1] + bytes([body[-1] ^ 1])))
    assert err.value.field == "descriptor.fragment_sha256"
    assert r.received == [0]


def test_fragment_of_another_image(parts: list[bytes]) -> None:
    r = small()
    r.add(parts[0])
    other = split_image(zigbee(1500, seed=2), max_bytes=SMALL)
    with pytest.raises(ForeignFragmentError) as err:
        r.add(other[1])
    assert err.value.field == "descriptor.whole_digest"
    newer = split_image(zigbee(1500, file_version=VERSION + 1), max_bytes=SMALL)
    with pytest.raises(ForeignFragmentError) as err:
        r.add(newer[1])
    assert err.value.field == "descriptor.file_version"


def test_count_that_changes(parts: list[bytes]) -> None:
    r = small()
    r.add(parts[0])
    with pytest.raises(FragmentCountChangedError) as err:
        r.add(forge(parts[1], fragment_count=len(parts) + 1))
    assert err.value.field == "descriptor.fragment_count"


def test_overlap(parts: list[bytes]) -> None:
    r = small()
    r.add(parts[0])
    first = parse_fragment(parts[0], max_bytes=None).descriptor
    with pytest.raises(FragmentOverlapError) as err:
        r.add(forge(parts[1], fragment_offset=first.fragment_length - 1))
    assert err.value.field == "descriptor.fragment_offset"
    assert r.received == [0]


def test_missing_fragment_at_result(parts: list[bytes]) -> None:
    r = small()
    for p in parts[:-1]:
        r.add(p)
    with pytest.raises(FragmentMissingError) as err:
        r.result()
    assert str(len(parts) - 1) in str(err.value)
    with pytest.raises(FragmentMissingError):
        small().result()


def test_gap_between_fragments_is_missing_bytes(image: bytes) -> None:
    parts = split_image(image, max_bytes=SMALL)
    # Two fragments claiming to be the whole set, with the middle bytes in neither.
    a = forge(parts[0], fragment_count=2)
    b = forge(parts[2], fragment_count=2, fragment_index=1)
    r = small()
    r.add(a)
    r.add(b)
    assert r.complete
    with pytest.raises(FragmentMissingError) as err:
        r.result()
    assert err.value.field == "whole_image"
    assert err.value.offset == parse_fragment(a, max_bytes=None).descriptor.fragment_length


def test_whole_image_digest_mismatch(image: bytes, parts: list[bytes]) -> None:
    wrong = hashlib.sha256(b"another image").digest()
    r = small()
    for p in parts:
        r.add(forge(p, whole_digest=wrong))
    with pytest.raises(WholeImageDigestError) as err:
        r.result()
    assert isinstance(err.value, ImageHashMismatchError)
    assert err.value.field == "descriptor.whole_digest"


def test_swapped_slices_do_not_give_the_whole_image_digest() -> None:
    """The hash list commits to the slices' order: two equal-length slices that trade places
    (each still matching its own SHA-256, every descriptor keeping the declared whole digest)
    are refused, as hashing the rebuilt image would refuse them."""
    image = zigbee(1500)
    parts = split_image(image, max_bytes=SMALL)
    a, b = parse_fragment(parts[0], max_bytes=None), parse_fragment(parts[1], max_bytes=None)
    assert a.descriptor.fragment_length == b.descriptor.fragment_length
    swapped = [forge(parts[0], fragment_offset=b.descriptor.fragment_offset),
               forge(parts[1], fragment_offset=a.descriptor.fragment_offset), *parts[2:]]
    r = small()
    for p in swapped:
        r.add(p)
    with pytest.raises(WholeImageDigestError):
        r.result()


def test_whole_digest_is_the_hash_of_the_slice_hashes_in_offset_order(image: bytes,
                                                                      parts: list[bytes]) -> None:
    frags = sorted((parse_fragment(p, max_bytes=None) for p in parts),
                   key=lambda f: f.descriptor.fragment_offset)
    slices = [hashlib.sha256(image[f.descriptor.fragment_offset:][:f.descriptor.fragment_length]).digest()
              for f in frags]
    assert all(f.descriptor.whole_digest == hashlib.sha256(b"".join(slices)).digest() for f in frags)


def test_signature_failure_and_absence() -> None:
    key, other = generate_test_key(), generate_test_key()
    signed = build_gbcs_image(manufacturer_code=MFR, image_type=TYPE, file_version=VERSION,
                              manufacturer_image=os.urandom(900), private_key=key)
    parts = split_image(signed, max_bytes=SMALL)
    with pytest.raises(SignatureInvalidError):
        reassemble(parts, max_fragment_bytes=SMALL, public_key=other.public_key())
    assert reassemble(parts, max_fragment_bytes=SMALL, public_key=key.public_key()) == signed
    unsigned = build_gbcs_image(manufacturer_code=MFR, image_type=TYPE, file_version=VERSION,
                                manufacturer_image=os.urandom(900))
    with pytest.raises(SignatureMissingError):
        reassemble(split_image(unsigned, max_bytes=SMALL), max_fragment_bytes=SMALL,
                   public_key=key.public_key())


def test_errors_are_distinct_named_protocol_errors() -> None:
    classes = [FragmentFormatError, FragmentInconsistentError, FragmentBoundsError, FragmentCorruptError,
               FragmentConflictError, ForeignFragmentError, FragmentCountChangedError, FragmentOverlapError,
               FragmentMissingError, WholeImageDigestError]
    assert len(set(classes)) == len(classes)
    for cls in classes:
        assert issubclass(cls, ProtocolError) and cls.__name__.endswith("Error")
        assert issubclass(cls, (ValidationError, DecodeError))


def test_failed_add_changes_nothing(parts: list[bytes]) -> None:
    r = small()
    r.add(parts[0])
    before = r.state()
    for bad in (forge(parts[1], fragment_count=99), parts[1][:-1], forge(parts[1], fragment_offset=1)):
        with pytest.raises(ProtocolError):
            r.add(bad)
        assert r.state() == before


# --- resuming ----------------------------------------------------------------------------------


def test_state_resumes_without_refetching(image: bytes, parts: list[bytes]) -> None:
    r = small()
    for p in parts[::2]:
        r.add(p)
    resumed = Reassembler.from_state(r.state(), max_fragment_bytes=SMALL)
    assert resumed.received == r.received and resumed.missing() == r.missing()
    for p in parts[1::2]:
        resumed.add(p)
    assert resumed.result() == image


def test_empty_state_roundtrip() -> None:
    assert Reassembler.from_state(small().state()).descriptor is None


def test_damaged_state_is_refused(parts: list[bytes]) -> None:
    r = small()
    r.add(parts[0])
    r.add(parts[1])
    state = r.state()
    flipped = bytearray(state)
    flipped[-1] ^= 1
    with pytest.raises(FragmentCorruptError):
        Reassembler.from_state(bytes(flipped))
    with pytest.raises(DecodeError):
        Reassembler.from_state(state[:-1])
    with pytest.raises(DecodeError):
        Reassembler.from_state(state + b"\x00")
    with pytest.raises(DecodeError):
        Reassembler.from_state(b"NOPE" + state[4:])


# --- a 16 MiB image ----------------------------------------------------------------------------


def test_16_mib_image_fragments_and_reassembles() -> None:
    whole = build_zigbee_image(manufacturer_code=MFR, image_type=TYPE, file_version=VERSION,
                               sub_elements=[(0x0000, os.urandom(DEFAULT_MAX_WHOLE_IMAGE_BYTES - 62))])
    assert len(whole) == DEFAULT_MAX_WHOLE_IMAGE_BYTES
    parts = split_image(whole)
    assert len(parts) == fragments_needed(len(whole)) == 22
    assert all(len(p) <= DEFAULT_MAX_IMAGE_BYTES for p in parts)
    for p in parts:
        assert zigpy_image.parse_ota_image(p)[1] == b""
    assert reassemble(reversed(parts)) == whole  # about 1.5 s here: not marked slow


# --- the worked example in docs/fragments.md ---------------------------------------------------

DOCS = Path(__file__).resolve().parents[2] / "docs" / "fragments.md"


def test_docs_worked_example_matches_split_image() -> None:
    payload = (b"HANOTA worked example firmware. " * 10)[:298]
    whole = build_zigbee_image(manufacturer_code=0x1234, image_type=0x0042, file_version=0x01020304,
                               sub_elements=[(0x0000, payload)], header_string=b"example image")
    assert len(whole) == 360
    text = DOCS.read_text(encoding="utf-8")
    slices = [hashlib.sha256(whole[:180]).digest(), hashlib.sha256(whole[180:]).digest()]
    for digest in (*slices, hashlib.sha256(b"".join(slices)).digest(), hashlib.sha256(whole).digest()):
        assert digest.hex() in text
    block = text.split("<!-- example-fragment-1 -->", 1)[1].split("<!-- /example-fragment-1 -->", 1)[0]
    documented = bytes.fromhex("".join(line[6:] for line in block.splitlines() if line[:4].isalnum()))
    parts = split_image(whole, max_bytes=342)
    assert len(parts) == 2 and documented == parts[0]
    assert reassemble(parts, max_fragment_bytes=342) == whole


# --- the struct fast paths do exactly what DESCRIPTOR declares ---------------------------------

_U16, _U32 = st.integers(0, 0xFFFF), st.integers(0, 0xFFFF_FFFF)
descriptors = st.builds(
    FragmentDescriptor, fragment_index=_U16, fragment_count=_U16, fragment_offset=_U32,
    fragment_length=_U32, total_size=_U32, manufacturer_code=_U16, image_type=_U16, file_version=_U32,
    whole_format=st.sampled_from(sorted(WHOLE_FORMATS)), fragment_sha256=st.binary(min_size=32, max_size=32),
    whole_digest=st.binary(min_size=32, max_size=32))


@given(descriptors)
def test_descriptor_fast_paths_equal_the_declaration(desc: FragmentDescriptor) -> None:
    declared = encode(DESCRIPTOR, desc, what="descriptor")
    assert desc.to_bytes() == declared
    assert FragmentDescriptor.from_bytes(declared) == decode(DESCRIPTOR, declared, what="descriptor") == desc


@given(st.binary(min_size=DESCRIPTOR_SIZE, max_size=DESCRIPTOR_SIZE))
def test_descriptor_fast_decode_accepts_exactly_what_the_declaration_accepts(data: bytes) -> None:
    try:
        declared = decode(DESCRIPTOR, data, what="descriptor")
    except DecodeError:
        with pytest.raises(DecodeError):
            FragmentDescriptor.from_bytes(data)
    else:
        assert FragmentDescriptor.from_bytes(data) == declared


def test_descriptor_fast_encode_refuses_what_does_not_fit() -> None:
    desc = parse_fragment(split_image(zigbee(1000), max_bytes=SMALL)[0], max_bytes=SMALL).descriptor
    for bad in (dataclasses.replace(desc, whole_digest=bytes(31)),
                dataclasses.replace(desc, fragment_index=1 << 16),
                dataclasses.replace(desc, whole_format="other")):
        with pytest.raises(ProtocolError):
            bad.to_bytes()
