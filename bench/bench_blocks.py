"""Encode + decode of a 750 kB image carried as 64-byte Image Block Responses.

768,000 bytes (750 x 1024) in 64-byte blocks = 12,000 whole ZCL frames, each built and then
parsed back, by three codecs in the same run (best of several repetitions):

* ``block_codec_s``: hanota's ``encode_command``/``decode_command`` (its checked fast path),
  including making the ``ImageBlockResponse`` and ``ZclHeader`` objects;
* ``block_struct_s``: plain ``struct`` pack/unpack and a slice: the floor;
* ``block_zigpy_s``: zigpy's ZCLHeader + Ota ``image_block_response`` schema serialize and
  deserialize;
* ``block_construct_compiled_s`` (for the record): construct 2.10.70's compiled form of an
  equivalent plain Struct, which is what the fast path replaces.

Ratios: ``block_codec_vs_struct`` = codec / struct (target <= 10), ``block_codec_vs_zigpy`` =
zigpy / codec (target >= 5). All four produce identical frames (checked before timing).

The same download's other half, the 12,000 Image Block Requests that ask for those blocks (in
the form the reference device sends: minimum block period given, no requester address), each
built and parsed back:

* ``block_request_codec_s``: ``encode_command``/``decode_command`` (the request fast path),
  including making the ``ImageBlockRequest`` objects;
* ``block_request_struct_s``: plain ``struct`` pack/unpack: the floor;
* ``block_request_interpreted_s`` (for the record): the interpreted construct build with its
  decode-back check, then the interpreted parse, which is what every request cost before the
  fast path; timed on a tenth of the requests and scaled to 12,000 (it is ~100x slower);
* ``block_request_codec_vs_struct`` = codec / struct; ``block_request_interpreted_vs_codec`` =
  interpreted / codec (the speed-up).
"""

from __future__ import annotations

import struct

import construct as c
from _timing import best_of

from hanota.protocol.ota_commands import (
    ImageBlockRequest,
    ImageBlockResponse,
    command_format,
    decode_command,
    encode_command,
)
from hanota.protocol.zcl import ZCL_HEADER, Direction, FrameType, Status, ZclHeader

IMAGE_SIZE = 768_000
BLOCK = 64
MFR, ITYPE, VERSION = 0x1234, 0x0001, 0x00000102
REPEAT = 7


def _image() -> bytes:
    return bytes((i * 31 + (i >> 8)) & 0xFF for i in range(IMAGE_SIZE))


def run_codec(image: bytes) -> list[bytes]:
    frames = []
    for tsn, offset in enumerate(range(0, len(image), BLOCK)):
        cmd = ImageBlockResponse(Status.SUCCESS, MFR, ITYPE, VERSION, offset,
                                 image[offset:offset + BLOCK])
        frames.append(encode_command(cmd, tsn=tsn & 0xFF, disable_default_response=True))
    for frame in frames:
        _, back = decode_command(frame)
        assert back.image_data is not None  # keeps the decode from being skipped
    return frames


_S = struct.Struct("<BBBBHHIIB")


def run_struct(image: bytes) -> list[bytes]:
    frames = []
    pack = _S.pack
    for tsn, offset in enumerate(range(0, len(image), BLOCK)):
        data = image[offset:offset + BLOCK]
        frames.append(pack(0x19, tsn & 0xFF, 5, 0, MFR, ITYPE, VERSION, offset, len(data)) + data)
    unpack = _S.unpack_from
    for frame in frames:
        fields = unpack(frame)
        data = frame[17:17 + fields[8]]
        assert len(data) == fields[8]
    return frames


def run_zigpy(image: bytes) -> list[bytes]:
    import zigpy.zcl.foundation as f
    from zigpy.zcl.clusters.general import Ota

    schema = Ota.ClientCommandDefs.image_block_response.schema
    frames = []
    for tsn, offset in enumerate(range(0, len(image), BLOCK)):
        hdr = f.ZCLHeader.cluster(tsn=tsn & 0xFF, command_id=5,
                                  direction=f.Direction.Server_to_Client)
        cmd = schema(status=f.Status.SUCCESS, manufacturer_code=MFR, image_type=ITYPE,
                     file_version=VERSION, file_offset=offset,
                     image_data=image[offset:offset + BLOCK])
        frames.append(hdr.serialize() + cmd.serialize())
    for frame in frames:
        _, rest = f.ZCLHeader.deserialize(frame)
        back, _ = schema.deserialize(rest)
        assert back.image_data is not None  # keeps the decode from being skipped
    return frames


_PLAIN = c.Struct(
    "frame_control" / c.Int8ul, "tsn" / c.Int8ul, "command_id" / c.Int8ul, "status" / c.Int8ul,
    "manufacturer_code" / c.Int16ul, "image_type" / c.Int16ul, "file_version" / c.Int32ul,
    "file_offset" / c.Int32ul, "data_size" / c.Int8ul, "image_data" / c.Bytes(c.this.data_size),
).compile()


def run_construct_compiled(image: bytes) -> list[bytes]:
    frames = []
    for tsn, offset in enumerate(range(0, len(image), BLOCK)):
        data = image[offset:offset + BLOCK]
        frames.append(_PLAIN.build(dict(
            frame_control=0x19, tsn=tsn & 0xFF, command_id=5, status=0, manufacturer_code=MFR,
            image_type=ITYPE, file_version=VERSION, file_offset=offset, data_size=len(data),
            image_data=data)))
    for frame in frames:
        back = _PLAIN.parse(frame)
        assert back.image_data is not None  # keeps the decode from being skipped
    return frames


def _offsets() -> range:
    return range(0, IMAGE_SIZE, BLOCK)


def run_request_codec(offsets: range) -> list[bytes]:
    frames = []
    for tsn, offset in enumerate(offsets):
        cmd = ImageBlockRequest(MFR, ITYPE, VERSION, offset, BLOCK, None, 0)
        frames.append(encode_command(cmd, tsn=tsn & 0xFF))
    for frame in frames:
        _, back = decode_command(frame)
        assert back.file_offset is not None  # keeps the decode from being skipped
    return frames


_REQ = struct.Struct("<BBBBHHIIBH")


def run_request_struct(offsets: range) -> list[bytes]:
    frames = []
    pack = _REQ.pack
    for tsn, offset in enumerate(offsets):
        frames.append(pack(0x01, tsn & 0xFF, 3, 2, MFR, ITYPE, VERSION, offset, BLOCK, 0))
    unpack = _REQ.unpack
    for frame in frames:
        fields = unpack(frame)
        assert fields[7] is not None
    return frames


def run_request_interpreted(offsets: range) -> list[bytes]:
    """What each request cost before the fast path: interpreted build, decode-back, parse."""
    from hanota.protocol.ota_commands import _decode_interpreted

    fmt = command_format(ImageBlockRequest)
    frames = []
    for tsn, offset in enumerate(offsets):
        cmd = ImageBlockRequest(MFR, ITYPE, VERSION, offset, BLOCK, None, 0)
        header = ZclHeader(FrameType.CLUSTER_SPECIFIC, Direction.CLIENT_TO_SERVER, False, None,
                           tsn & 0xFF, 3)
        frame = bytes(ZCL_HEADER.build(header)) + bytes(fmt.build(cmd))
        assert _decode_interpreted(frame)[1] == cmd
        frames.append(frame)
    for frame in frames:
        _, back = _decode_interpreted(frame)
        assert back.file_offset is not None
    return frames


def requests(emit) -> None:
    offsets = _offsets()
    reference = run_request_struct(offsets)
    tenth = range(0, IMAGE_SIZE // 10, BLOCK)
    if run_request_codec(offsets) != reference or \
            run_request_interpreted(tenth) != reference[:len(tenth)]:
        raise SystemExit("request frames differ from struct's: the comparison would be unfair")
    struct_s = best_of(lambda: run_request_struct(offsets), REPEAT)
    codec_s = best_of(lambda: run_request_codec(offsets), REPEAT)
    interpreted_s = best_of(lambda: run_request_interpreted(tenth), 3) * len(offsets) / len(tenth)
    emit("block_request_frames", len(reference))
    emit("block_request_codec_s", codec_s)
    emit("block_request_struct_s", struct_s)
    emit("block_request_interpreted_s", interpreted_s)
    emit("block_request_codec_vs_struct", codec_s / struct_s)
    emit("block_request_interpreted_vs_codec", interpreted_s / codec_s)


def main(emit) -> None:
    image = _image()
    reference = run_struct(image)
    emit("block_frames", len(reference))
    for name, fn in (("codec", run_codec), ("zigpy", run_zigpy),
                     ("construct_compiled", run_construct_compiled)):
        if fn(image) != reference:
            raise SystemExit(f"{name} frames differ from struct's: the comparison would be unfair")
    # zigpy takes seconds per run on a shared machine: fewer repetitions, still best-of.
    times = {name: best_of(lambda fn=fn: fn(image), repeat)
             for name, fn, repeat in (("struct", run_struct, REPEAT), ("codec", run_codec, REPEAT),
                                      ("zigpy", run_zigpy, 3),
                                      ("construct_compiled", run_construct_compiled, REPEAT))}
    emit("block_codec_s", times["codec"])
    emit("block_struct_s", times["struct"])
    emit("block_zigpy_s", times["zigpy"])
    emit("block_construct_compiled_s", times["construct_compiled"])
    emit("block_codec_vs_struct", times["codec"] / times["struct"])
    emit("block_codec_vs_zigpy", times["zigpy"] / times["codec"])
    requests(emit)
