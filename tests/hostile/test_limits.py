"""Every documented limit is enforced where input arrives, at its boundary, before allocation.

The limits (``docs/hostile-inputs.md`` lists them with their sources):

| limit | value | enforced by |
|---|---|---|
| size rule for one distributed image (SECMP0007) | 768,000 bytes | fragments, ``split_image`` |
| whole image a reassembler accepts | 16 MiB | ``Reassembler`` / ``parse_fragment`` |
| file ``parse_image`` / ``hanota inspect`` accepts | 16 MiB | ``parse_image(max_size=)`` |
| bridge envelope | 64 KiB | ``MessageReader``, ``decode_envelope``, ``encode_message`` |
| Image Block Response data | 255 octets | ``encode_command`` |
| GBT block data held | ``max_size`` | ``GbtReassembler`` |
| GBT block numbers / fragment count | 65,535 | ``gbt.split`` / ``split_image`` |
| BER length | 3 length octets, within the bytes left | ``gbcs.BER_LENGTH`` |
"""

from __future__ import annotations

import hashlib
import struct

import pytest

from hanota.conformance.cli import main
from hanota.protocol import bridge as b
from hanota.protocol.errors import DecodeError, HarnessUsageError, SizeLimitError, ValidationError
from hanota.protocol.fragments import (
    MAX_FRAGMENT_OVERHEAD,
    FragmentDescriptor,
    Reassembler,
    build_fragment,
    parse_fragment,
    split_image,
)
from hanota.protocol.gbt import GbtBlock, GbtReassembler, GbtSizeLimitError, decode_block, encode_block, split
from hanota.protocol.limits import DEFAULT_MAX_IMAGE_BYTES, DEFAULT_MAX_WHOLE_IMAGE_BYTES
from hanota.protocol.ota_commands import MAX_IMAGE_DATA, ImageBlockResponse, decode_command, encode_command
from hanota.protocol.ota_image import DEFAULT_MAX_IMAGE_SIZE, parse_image
from hanota.protocol.zcl import Status

from . import _files as f


def test_the_documented_values() -> None:
    assert DEFAULT_MAX_IMAGE_BYTES == 750 * 1024
    assert DEFAULT_MAX_WHOLE_IMAGE_BYTES == DEFAULT_MAX_IMAGE_SIZE == 16 * 1024 * 1024
    assert b.MAX_ENVELOPE == 64 * 1024
    assert MAX_IMAGE_DATA == 255


# --------------------------------------------------- the 768,000-byte rule (one distributed image)

@pytest.fixture(scope="module")
def limit_fragments() -> list[bytes]:
    """An image one byte above the default rule, split with the default rule."""
    return split_image(f.zigbee(DEFAULT_MAX_IMAGE_BYTES + 1 - 62))


def test_an_image_of_exactly_the_rule_is_sent_whole() -> None:
    image = f.zigbee(DEFAULT_MAX_IMAGE_BYTES - 62)
    assert len(image) == DEFAULT_MAX_IMAGE_BYTES
    assert split_image(image) == [image]


def test_one_byte_more_is_fragmented_within_the_rule(limit_fragments: list[bytes]) -> None:
    assert len(limit_fragments) == 2
    assert max(map(len, limit_fragments)) == DEFAULT_MAX_IMAGE_BYTES  # the first is exactly the rule
    parse_fragment(limit_fragments[0])


def test_a_fragment_one_byte_over_the_rule_is_refused_before_parsing(limit_fragments: list[bytes]) -> None:
    r = Reassembler()
    with pytest.raises(SizeLimitError) as err:
        r.add(limit_fragments[0] + b"\x00")
    assert (err.value.field, err.value.offset) == ("fragment", DEFAULT_MAX_IMAGE_BYTES)
    assert r.received == []


# ------------------------------------------------------------- the 16 MiB whole-image cap

def _fragment_declaring(total: int) -> bytes:
    payload = b"\xaa" * 16
    desc = FragmentDescriptor(fragment_index=0, fragment_count=2, fragment_offset=0, fragment_length=16,
                              total_size=total, manufacturer_code=f.MFR, image_type=f.IMAGE_TYPE,
                              file_version=f.VERSION, whole_format="zigbee-ota",
                              fragment_sha256=hashlib.sha256(payload).digest(), whole_digest=bytes(32))
    return build_fragment(desc, payload)


def test_a_whole_image_of_exactly_the_cap_may_be_declared() -> None:
    r = Reassembler()
    r.add(_fragment_declaring(DEFAULT_MAX_WHOLE_IMAGE_BYTES))
    assert r.received == [0]


@pytest.mark.parametrize("total", [DEFAULT_MAX_WHOLE_IMAGE_BYTES + 1, f.FOUR_GIB])
def test_a_larger_whole_image_is_refused_before_anything_is_kept(total: int) -> None:
    r = Reassembler()
    with pytest.raises(SizeLimitError) as err:
        r.add(_fragment_declaring(total))
    assert err.value.field == "descriptor.total_size"
    assert r.received == [] and r.descriptor is None


def test_reassemble_max_whole_bytes_option_is_enforced(tmp_path, capsys) -> None:
    folder = tmp_path / "parts"
    folder.mkdir()
    for n, part in enumerate(f.fragments()):
        (folder / f"{n}.ota").write_bytes(part)
    assert main(["reassemble", str(folder), "--out", str(tmp_path / "o"), "--max-whole-bytes", "1000"]) == 1
    assert "field descriptor.total_size" in capsys.readouterr().err


def test_fragment_overhead_is_bounded() -> None:
    """What a fragment adds around its slice (documented: at most 175 bytes)."""
    assert MAX_FRAGMENT_OVERHEAD == 175


# ------------------------------------------------------------- the 16 MiB file cap of parse_image

def test_a_header_declaring_more_than_the_file_cap_is_a_size_error() -> None:
    with pytest.raises(SizeLimitError) as err:
        parse_image(f.put(f.zigbee(), f.TOTAL_SIZE_AT, "<I", DEFAULT_MAX_IMAGE_SIZE + 1))
    assert (err.value.field, err.value.offset) == ("header.total_image_size", f.TOTAL_SIZE_AT)


def test_a_header_declaring_exactly_the_file_cap_is_only_a_length_mismatch() -> None:
    with pytest.raises(ValidationError) as err:
        parse_image(f.put(f.zigbee(), f.TOTAL_SIZE_AT, "<I", DEFAULT_MAX_IMAGE_SIZE))
    assert not isinstance(err.value, SizeLimitError)
    assert err.value.field == "header.total_image_size"


def test_a_file_over_max_size_is_refused_before_its_header_is_read() -> None:
    image = f.zigbee()
    assert parse_image(image, max_size=len(image)).raw == image
    with pytest.raises(SizeLimitError) as err:
        parse_image(b"not even a header" + image, max_size=len(image))
    assert (err.value.field, err.value.offset) == ("image", len(image))


def test_inspect_max_size_option_is_enforced(tmp_path, capsys) -> None:
    path = tmp_path / "image.ota"
    path.write_bytes(f.zigbee())
    assert main(["inspect", str(path), "--max-size", str(len(f.zigbee()))]) == 0
    capsys.readouterr()
    assert main(["inspect", str(path), "--max-size", str(len(f.zigbee()) - 1)]) == 1
    assert "field image" in capsys.readouterr().err


# ------------------------------------------------------------------ the 64 KiB bridge envelope

_FRAME_HEAD = 24  # src, dst, endpoints, profile, cluster, payload length


def _frame(payload_size: int) -> b.Frame:
    return b.Frame(1, 2, 1, 1, 0x0109, 0x0019, b"\x01" * payload_size)


def test_an_envelope_of_exactly_the_cap_is_read() -> None:
    data = b.encode_message(_frame(b.MAX_ENVELOPE - 1 - _FRAME_HEAD))
    assert struct.unpack(">I", data[:4])[0] == b.MAX_ENVELOPE
    reader = b.MessageReader()
    reader.feed(data)
    assert reader.next_message() == _frame(b.MAX_ENVELOPE - 1 - _FRAME_HEAD)
    assert b.decode_envelope(data) == _frame(b.MAX_ENVELOPE - 1 - _FRAME_HEAD)


def test_one_byte_more_cannot_be_encoded() -> None:
    with pytest.raises(HarnessUsageError):
        b.encode_message(_frame(b.MAX_ENVELOPE - _FRAME_HEAD))


@pytest.mark.parametrize("length", [b.MAX_ENVELOPE + 1, f.FOUR_GIB])
def test_a_longer_envelope_is_refused_from_its_four_length_bytes(length: int) -> None:
    reader = b.MessageReader()
    with pytest.raises(SizeLimitError) as err:
        reader.feed(struct.pack(">I", length))
    assert (err.value.field, err.value.offset) == ("envelope.length", 0)
    with pytest.raises(SizeLimitError):
        b.decode_envelope(struct.pack(">I", length) + b"\x03")


def test_a_reader_with_a_smaller_cap_enforces_it() -> None:
    reader = b.MessageReader(max_envelope=64)
    reader.feed(b.encode_message(_frame(64 - 1 - _FRAME_HEAD)))
    assert reader.next_message() is not None
    with pytest.raises(SizeLimitError):
        reader.feed(b.encode_message(_frame(64 - _FRAME_HEAD)))


@pytest.mark.parametrize("cap", [0, b.MAX_ENVELOPE + 1])
def test_the_reader_cap_cannot_exceed_the_protocol_cap(cap: int) -> None:
    with pytest.raises(HarnessUsageError):
        b.MessageReader(max_envelope=cap)


def test_reader_memory_stays_within_one_envelope_and_one_chunk() -> None:
    """A flood of full-size envelopes, read as the TCP adapter reads (64 KiB recv, then drain)."""
    one = b.encode_message(_frame(b.MAX_ENVELOPE - 1 - _FRAME_HEAD))
    stream = one * 8
    chunk = 65_536
    reader = b.MessageReader()
    got = 0
    for start in range(0, len(stream), chunk):
        reader.feed(stream[start:start + chunk])
        while reader.next_message() is not None:
            got += 1
        assert reader.buffered() < 4 + b.MAX_ENVELOPE
    assert got == 8 and reader.buffered() == 0


# ------------------------------------------------------------------ OTA block data (255 octets)

def test_image_block_response_carries_at_most_255_octets() -> None:
    ok = ImageBlockResponse(Status.SUCCESS, f.MFR, f.IMAGE_TYPE, f.VERSION, 0, b"\x00" * MAX_IMAGE_DATA)
    assert decode_command(encode_command(ok, tsn=1))[1] == ok
    with pytest.raises(HarnessUsageError):
        encode_command(ImageBlockResponse(Status.SUCCESS, f.MFR, f.IMAGE_TYPE, f.VERSION, 0,
                                          b"\x00" * (MAX_IMAGE_DATA + 1)), tsn=1)


# ------------------------------------------------------------------------------- GBT limits

def test_gbt_holds_exactly_max_size_and_refuses_one_byte_more() -> None:
    g = GbtReassembler(max_size=100)
    g.receive(encode_block(GbtBlock(block_number=1, block_data=b"\x01" * 100)))
    with pytest.raises(GbtSizeLimitError) as err:
        g.receive(encode_block(GbtBlock(block_number=2, block_data=b"\x02")))
    assert err.value.field == "block_data"
    assert g.size == 100 and g.missing() == []


def test_gbt_numbers_at_most_65535_blocks() -> None:
    assert len(split(b"\x00" * 0xFFFF, block_size=1)) == 0xFFFF
    with pytest.raises(HarnessUsageError):
        split(b"\x00" * 0x10000, block_size=1)


def test_fragment_count_is_at_most_65535() -> None:
    overhead = 56 + 6 + 94 + 6
    with pytest.raises(HarnessUsageError):
        split_image(f.zigbee(0x10000), max_bytes=overhead + 1)


@pytest.mark.parametrize(("length_octets", "field"), [
    ("84ffffffff", "block_data"),  # 4 length octets: not supported
    ("83ffffff", "block_data"),    # 16 MiB declared, 0 bytes present
    ("8105", "block_data"),        # not the shortest form
])
def test_ber_lengths_are_bounded_before_reading(length_octets: str, field: str) -> None:
    with pytest.raises(DecodeError) as err:
        decode_block(bytes.fromhex("e0010001" "0000" + length_octets + "00" * 5))
    assert err.value.field == field and err.value.offset in (6, 7)  # the length octets
