# ruff: noqa: E501  (one table row per line reads best)
"""OTA Upgrade cluster commands: roundtrip table with hand-built frames, strictness, the fast
path's equivalence with the interpreted parse, and zigpy as an independent peer."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from hanota.protocol import decode
from hanota.protocol.errors import DecodeError, HarnessUsageError, ProtocolError, ValidationError
from hanota.protocol.ota_commands import (
    UPGRADE_TIME_WAIT_FOR_COMMAND,
    DefaultResponse,
    ImageBlockRequest,
    ImageBlockResponse,
    ImageNotify,
    ImageNotifyPayloadType,
    ImagePageRequest,
    QueryDeviceSpecificFileRequest,
    QueryDeviceSpecificFileResponse,
    QueryNextImageRequest,
    QueryNextImageResponse,
    ReadAttributes,
    ReadAttributesResponse,
    UpgradeEndRequest,
    UpgradeEndResponse,
    _decode_block_fast,
    _decode_interpreted,
    _decode_request_fast,
    _encode_block_fast,
    _encode_request_fast,
    command_format,
    decode_command,
    encode_command,
)
from hanota.protocol.zcl import AttributeRecord, DataType, Direction, FrameType, Status, ZclHeader

# Field values used throughout, and their little-endian bytes written out by hand.
MFR, MFR_LE = 0x1234, "3412"
ITYPE, ITYPE_LE = 0x0001, "0100"
FVER, FVER_LE = 0x12345679, "79563412"
EUI, EUI_LE = 0x1122334455667788, "8877665544332211"
OFF, OFF_LE = 0x40, "40000000"
IMAGE_ID = MFR_LE + ITYPE_LE + FVER_LE  # manufacturer code, image type, file version

# Frame control octets: cluster-specific 0x01, manufacturer-specific 0x04, server→client 0x08,
# disable default response 0x10. Transaction sequence number 0x42 throughout.
C2S, S2C, S2C_NO_DR = "01", "09", "19"
G_C2S, G_S2C = "00", "08"


def h(fc: str, cmd: str) -> str:
    return fc + "42" + cmd


def roundtrip(fmt_or_command, hexstr: str, obj) -> None:
    """One call checks parse, build and both directions of the declaration (construct's
    ``common()`` habit). ``fmt_or_command`` is a command class (``hexstr`` is a whole ZCL frame)
    or a construct declaration (``hexstr`` is the payload alone)."""
    data = bytes.fromhex(hexstr.replace(" ", ""))
    if isinstance(fmt_or_command, type):
        header, got = decode_command(data)
        assert type(got) is fmt_or_command
        assert got == obj
        assert _decode_interpreted(data) == (header, got)
        assert encode_command(obj, tsn=header.tsn, disable_default_response=header.disable_default_response,
                              manufacturer_code=header.manufacturer_code) == data
        fmt, payload = command_format(fmt_or_command), data[5 if header.manufacturer_specific else 3:]
        fields = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if f.name != "direction"}
        assert {k: getattr(decode(fmt, payload), k) for k in fields} == fields
    else:
        assert decode(fmt_or_command, data) == obj
        assert fmt_or_command.build(obj) == data


FRAMES = [
    # Image Notify, every payload type
    ("notify-0", ImageNotify, h(S2C, "00") + "00 64", ImageNotify(ImageNotifyPayloadType.QUERY_JITTER, 100)),
    ("notify-1", ImageNotify, h(S2C, "00") + "01 32" + MFR_LE, ImageNotify(1, 50, MFR)),
    ("notify-2", ImageNotify, h(S2C, "00") + "02 32" + MFR_LE + ITYPE_LE, ImageNotify(2, 50, MFR, ITYPE)),
    ("notify-3", ImageNotify, h(S2C, "00") + "03 01" + IMAGE_ID, ImageNotify(3, 1, MFR, ITYPE, FVER)),
    # Query Next Image request with and without hardware version
    ("qni-req", QueryNextImageRequest, h(C2S, "01") + "00" + IMAGE_ID, QueryNextImageRequest(MFR, ITYPE, FVER)),
    ("qni-req-hw", QueryNextImageRequest, h(C2S, "01") + "01" + IMAGE_ID + "0200",
     QueryNextImageRequest(MFR, ITYPE, FVER, hardware_version=2)),
    ("qni-req-mfr-header", QueryNextImageRequest, "05 3412 42 01" + "00" + IMAGE_ID,
     QueryNextImageRequest(MFR, ITYPE, FVER)),
    # Query Next Image response: fields only on SUCCESS (768,000 = 0x000BB800)
    ("qni-rsp", QueryNextImageResponse, h(S2C_NO_DR, "02") + "00" + IMAGE_ID + "00b80b00",
     QueryNextImageResponse(Status.SUCCESS, MFR, ITYPE, FVER, 768_000)),
    ("qni-rsp-none", QueryNextImageResponse, h(S2C_NO_DR, "02") + "98", QueryNextImageResponse(Status.NO_IMAGE_AVAILABLE)),
    ("qni-rsp-auth", QueryNextImageResponse, h(S2C, "02") + "7e", QueryNextImageResponse(Status.NOT_AUTHORIZED)),
    # Image Block request: each combination of the optional fields
    ("ib-req", ImageBlockRequest, h(C2S, "03") + "00" + IMAGE_ID + OFF_LE + "40",
     ImageBlockRequest(MFR, ITYPE, FVER, OFF, 64)),
    ("ib-req-addr", ImageBlockRequest, h(C2S, "03") + "01" + IMAGE_ID + OFF_LE + "40" + EUI_LE,
     ImageBlockRequest(MFR, ITYPE, FVER, OFF, 64, request_node_address=EUI)),
    ("ib-req-period", ImageBlockRequest, h(C2S, "03") + "02" + IMAGE_ID + OFF_LE + "40" + "e803",
     ImageBlockRequest(MFR, ITYPE, FVER, OFF, 64, minimum_block_period=1000)),
    ("ib-req-both", ImageBlockRequest, h(C2S, "03") + "03" + IMAGE_ID + OFF_LE + "40" + EUI_LE + "e803",
     ImageBlockRequest(MFR, ITYPE, FVER, OFF, 64, EUI, 1000)),
    # Image Page request with and without the requester address
    ("page-req", ImagePageRequest, h(C2S, "04") + "00" + IMAGE_ID + OFF_LE + "40" + "0004" + "6400",
     ImagePageRequest(MFR, ITYPE, FVER, OFF, 64, 1024, 100)),
    ("page-req-addr", ImagePageRequest, h(C2S, "04") + "01" + IMAGE_ID + OFF_LE + "40" + "0004" + "6400" + EUI_LE,
     ImagePageRequest(MFR, ITYPE, FVER, OFF, 64, 1024, 100, EUI)),
    # Image Block response: SUCCESS (with data, also empty), WAIT_FOR_DATA, ABORT
    ("ib-rsp", ImageBlockResponse, h(S2C_NO_DR, "05") + "00" + IMAGE_ID + OFF_LE + "04" + "deadbeef",
     ImageBlockResponse(Status.SUCCESS, MFR, ITYPE, FVER, OFF, b"\xde\xad\xbe\xef")),
    ("ib-rsp-dr", ImageBlockResponse, h(S2C, "05") + "00" + IMAGE_ID + OFF_LE + "01" + "ff",
     ImageBlockResponse(Status.SUCCESS, MFR, ITYPE, FVER, OFF, b"\xff")),
    ("ib-rsp-empty", ImageBlockResponse, h(S2C_NO_DR, "05") + "00" + IMAGE_ID + OFF_LE + "00",
     ImageBlockResponse(Status.SUCCESS, MFR, ITYPE, FVER, OFF, b"")),
    ("ib-rsp-mfr-header", ImageBlockResponse, "1d 3412 42 05" + "00" + IMAGE_ID + OFF_LE + "01" + "aa",
     ImageBlockResponse(Status.SUCCESS, MFR, ITYPE, FVER, OFF, b"\xaa")),
    ("ib-rsp-wait", ImageBlockResponse, h(S2C_NO_DR, "05") + "97" + "10000000" + "20000000" + "e803",
     ImageBlockResponse(Status.WAIT_FOR_DATA, current_time=16, request_time=32, minimum_block_period=1000)),
    ("ib-rsp-abort", ImageBlockResponse, h(S2C_NO_DR, "05") + "95", ImageBlockResponse(Status.ABORT)),
    # Upgrade End request, each allowed status
    *[(f"end-req-{s.name}", UpgradeEndRequest, h(C2S, "06") + f"{s:02x}" + IMAGE_ID,
       UpgradeEndRequest(s, MFR, ITYPE, FVER))
      for s in (Status.SUCCESS, Status.INVALID_IMAGE, Status.REQUIRE_MORE_IMAGE, Status.ABORT)],
    # Upgrade End response: absolute time, offset form (current time 0), wait for a command
    ("end-rsp", UpgradeEndResponse, h(S2C_NO_DR, "07") + IMAGE_ID + "00100000" + "00200000",
     UpgradeEndResponse(MFR, ITYPE, FVER, 0x1000, 0x2000)),
    ("end-rsp-offset", UpgradeEndResponse, h(S2C_NO_DR, "07") + IMAGE_ID + "00000000" + "3c000000",
     UpgradeEndResponse(MFR, ITYPE, FVER, 0, 60)),
    ("end-rsp-wait", UpgradeEndResponse, h(S2C_NO_DR, "07") + IMAGE_ID + "00100000" + "ffffffff",
     UpgradeEndResponse(MFR, ITYPE, FVER, 0x1000, UPGRADE_TIME_WAIT_FOR_COMMAND)),
    # Query Device Specific File request / response
    ("qdsf-req", QueryDeviceSpecificFileRequest, h(C2S, "08") + EUI_LE + IMAGE_ID + "0200",
     QueryDeviceSpecificFileRequest(EUI, MFR, ITYPE, FVER, 2)),
    ("qdsf-rsp", QueryDeviceSpecificFileResponse, h(S2C_NO_DR, "09") + "00" + IMAGE_ID + "00010000",
     QueryDeviceSpecificFileResponse(Status.SUCCESS, MFR, ITYPE, FVER, 256)),
    ("qdsf-rsp-none", QueryDeviceSpecificFileResponse, h(S2C_NO_DR, "09") + "98",
     QueryDeviceSpecificFileResponse(Status.NO_IMAGE_AVAILABLE)),
    # Global commands on the OTA cluster
    ("read", ReadAttributes, h(G_S2C, "00") + "0200" + "0600", ReadAttributes((2, 6))),
    ("read-rsp", ReadAttributesResponse,
     h(G_C2S, "01") + "0200 00 23" + FVER_LE + "0600 00 30 01" + "0000 00 f0" + EUI_LE + "0300 00 21 0200"
     + "0010 00 20 07" + "0a00 86",
     ReadAttributesResponse((
         AttributeRecord(2, Status.SUCCESS, DataType.UINT32, FVER),
         AttributeRecord(6, Status.SUCCESS, DataType.ENUM8, 1),
         AttributeRecord(0, Status.SUCCESS, DataType.EUI64, EUI),
         AttributeRecord(3, Status.SUCCESS, DataType.UINT16, 2),
         AttributeRecord(0x1000, Status.SUCCESS, DataType.UINT8, 7),
         AttributeRecord(0x0A, Status.UNSUPPORTED_ATTRIBUTE)))),
    ("default-rsp", DefaultResponse, h(G_C2S, "0b") + "00 00", DefaultResponse(0x00, Status.SUCCESS)),
    ("default-rsp-s2c", DefaultResponse, h("18", "0b") + "06 81",
     DefaultResponse(0x06, Status.UNSUP_CLUSTER_COMMAND, Direction.SERVER_TO_CLIENT)),
]


@pytest.mark.parametrize(("name", "cls", "hexstr", "obj"), FRAMES, ids=[f[0] for f in FRAMES])
def test_roundtrip(name, cls, hexstr, obj):
    roundtrip(cls, hexstr, obj)


def test_header_fields_follow_the_command():
    header, _ = decode_command(encode_command(ImageBlockResponse(Status.ABORT), tsn=9))
    assert header == ZclHeader(FrameType.CLUSTER_SPECIFIC, Direction.SERVER_TO_CLIENT, False, None, 9, 5)
    header, _ = decode_command(encode_command(UpgradeEndRequest(0, 1, 2, 3), tsn=1, manufacturer_code=0x1234))
    assert header.direction is Direction.CLIENT_TO_SERVER and header.manufacturer_code == 0x1234


def test_payload_declarations_roundtrip_alone():
    roundtrip(command_format(ImageNotify), "00 64", ImageNotify(0, 100))
    roundtrip(command_format(ImageBlockResponse), "95", ImageBlockResponse(Status.ABORT))


BAD = [
    # (name, frame hex, error class, field, offset)
    ("empty", "", DecodeError, "header.frame_control", 0),
    ("no tsn", "19", DecodeError, "header.tsn", 1),
    ("no command id", "1942", DecodeError, "header.command_id", 2),
    ("mfr code cut", "1d34", DecodeError, "header.manufacturer_code", 1),
    ("reserved frame type", "0342 00", DecodeError, "header.frame_control.frame_type", 0),
    ("reserved fc bits", "3942 05 95", DecodeError, "header.frame_control.reserved", 0),
    ("unknown cluster command", h(S2C, "0a"), DecodeError, "header.command_id", 2),
    ("unknown global command", h(G_S2C, "02"), DecodeError, "header.command_id", 2),
    ("wrong direction s2c id sent c2s", h(C2S, "05") + "95", ValidationError, "header.frame_control.direction", 0),
    ("wrong direction c2s id sent s2c", h(S2C, "01") + "00" + IMAGE_ID, ValidationError,
     "header.frame_control.direction", 0),
    ("payload missing", h(S2C, "05"), DecodeError, "ImageBlockResponse.status", 3),
    ("trailing byte", h(S2C, "05") + "95 00", DecodeError, "ImageBlockResponse", 4),
    ("trailing after optional", h(C2S, "01") + "00" + IMAGE_ID + "0200", DecodeError, "QueryNextImageRequest", 12),
    ("data size over data", h(S2C, "05") + "00" + IMAGE_ID + OFF_LE + "05" + "dead", DecodeError,
     "ImageBlockResponse.data_size", 16),
    ("data size under data", h(S2C, "05") + "00" + IMAGE_ID + OFF_LE + "01" + "dead", DecodeError,
     "ImageBlockResponse.data_size", 16),
    ("data size cut", h(S2C, "05") + "00" + IMAGE_ID + OFF_LE, DecodeError, "ImageBlockResponse.data_size", 16),
    ("data size with mfr header", "1d 3412 42 05" + "00" + IMAGE_ID + OFF_LE + "02" + "aa", DecodeError,
     "ImageBlockResponse.data_size", 18),
    ("block status not allowed", h(S2C, "05") + "01", DecodeError, "ImageBlockResponse.status", 3),
    ("wait form cut", h(S2C, "05") + "97" + "10000000", DecodeError, "ImageBlockResponse.request_time", 8),
    ("undefined status", h(S2C, "02") + "43", DecodeError, "QueryNextImageResponse.status", 3),
    ("qni status not allowed", h(S2C, "02") + "95", DecodeError, "QueryNextImageResponse.status", 3),
    ("jitter 0", h(S2C, "00") + "00 00", DecodeError, "ImageNotify.query_jitter", 4),
    ("jitter 101", h(S2C, "00") + "00 65", DecodeError, "ImageNotify.query_jitter", 4),
    ("payload type 4", h(S2C, "00") + "04 64", DecodeError, "ImageNotify.payload_type", 3),
    ("notify fields cut", h(S2C, "00") + "03 64" + MFR_LE + ITYPE_LE + "0102", DecodeError,
     "ImageNotify.new_file_version", 9),
    ("qni reserved field control", h(C2S, "01") + "02" + IMAGE_ID, DecodeError,
     "QueryNextImageRequest.field_control", 3),
    ("block req reserved field control", h(C2S, "03") + "04" + IMAGE_ID + OFF_LE + "40", DecodeError,
     "ImageBlockRequest.field_control", 3),
    ("block req addr cut", h(C2S, "03") + "01" + IMAGE_ID + OFF_LE + "40" + "8877", DecodeError,
     "ImageBlockRequest.request_node_address", 17),
    ("end req status not allowed", h(C2S, "06") + "98" + IMAGE_ID, DecodeError, "UpgradeEndRequest.status", 3),
    ("read attrs odd length", h(G_S2C, "00") + "0200 06", DecodeError, "ReadAttributes.attribute_ids.1", 5),
    ("unknown data type", h(G_C2S, "01") + "0200 00 42 01", DecodeError,
     "ReadAttributesResponse.records.0.data_type", 6),
    ("attribute value cut", h(G_C2S, "01") + "0200 00 23 0102", DecodeError,
     "ReadAttributesResponse.records.0.value", 7),
    ("default response cut", h(G_C2S, "0b") + "00", DecodeError, "DefaultResponse.status", 4),
]


@pytest.mark.parametrize(("name", "hexstr", "err", "field", "offset"), BAD, ids=[b[0] for b in BAD])
def test_strict_decode_names_field_and_offset(name, hexstr, err, field, offset):
    with pytest.raises(err) as info:
        decode_command(bytes.fromhex(hexstr.replace(" ", "")))
    assert (info.value.field, info.value.offset) == (field, offset), str(info.value)


def test_refused_data_type_is_named():
    with pytest.raises(DecodeError, match=r"0x42 is not a defined DataType \(expected one of UINT8 0x20"):
        decode_command(bytes.fromhex(h(G_C2S, "01") + "020000" + "4201"))


ENCODE_REFUSED = [
    ImageNotify(0, 0),
    ImageNotify(0, 101),
    ImageNotify(1, 100),  # payload type 1 needs a manufacturer code
    ImageNotify(1, 100, MFR, ITYPE),  # image type given but payload type 1 leaves it off the wire
    ImageBlockResponse(Status.ABORT, image_data=b"x"),
    ImageBlockResponse(Status.SUCCESS, MFR, ITYPE, FVER, None, b"x"),
    ImageBlockResponse(Status.SUCCESS, MFR, ITYPE, FVER, OFF, b"x" * 256),
    ImageBlockResponse(Status.SUCCESS, MFR, ITYPE, FVER, OFF, b"x", current_time=1),
    ImageBlockResponse(Status.FAILURE),
    QueryNextImageRequest(0x10000, ITYPE, FVER),
    QueryNextImageResponse(Status.SUCCESS, MFR),
    UpgradeEndRequest(Status.NO_IMAGE_AVAILABLE, MFR, ITYPE, FVER),
    ReadAttributes([2, 6]),  # type: ignore[arg-type]  (a tuple is the declared type)
    ReadAttributesResponse((AttributeRecord(1, Status.SUCCESS, DataType.UINT8, 256),)),
]


@pytest.mark.parametrize("command", ENCODE_REFUSED, ids=repr)
def test_encode_refuses_what_would_not_decode_back(command):
    with pytest.raises(HarnessUsageError):
        encode_command(command, tsn=1)


@pytest.mark.parametrize(("kwargs"), [{"tsn": 256}, {"tsn": -1}, {"tsn": 1, "manufacturer_code": 0x10000}])
def test_encode_refuses_header_values_that_do_not_fit(kwargs):
    with pytest.raises(HarnessUsageError):
        encode_command(ImageBlockResponse(Status.SUCCESS, MFR, ITYPE, FVER, OFF, b"x"), **kwargs)
    with pytest.raises(HarnessUsageError):
        encode_command(ImageBlockResponse(Status.ABORT), **kwargs)


def test_encode_refuses_what_is_not_a_command():
    with pytest.raises(HarnessUsageError):
        encode_command(ZclHeader(FrameType.GLOBAL, Direction.CLIENT_TO_SERVER, False, None, 1, 1), tsn=1)  # type: ignore[arg-type]


@pytest.mark.parametrize(("cls", "sample", "field", "value"), [
    (ImageBlockResponse, ImageBlockResponse(Status.ABORT), "status", Status.SUCCESS),
    (ImageBlockRequest, ImageBlockRequest(MFR, ITYPE, FVER, OFF, 64), "file_offset", 128),
], ids=["response", "request"])
def test_hand_written_init_matches_its_fields(cls, sample, field, value):
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    fields = dataclasses.fields(cls)
    assert [p.name for p in params] == [f.name for f in fields]
    missing = (inspect.Parameter.empty, dataclasses.MISSING)
    assert [None if p.default in missing else p.default for p in params] == \
        [None if f.default in missing else f.default for f in fields]
    assert [p.default is inspect.Parameter.empty for p in params] == \
        [f.default is dataclasses.MISSING for f in fields]
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(sample, field, value)
    changed = dataclasses.replace(sample, **{field: value})
    assert getattr(changed, field) == value and changed != sample
    assert hash(sample) == hash(dataclasses.replace(sample))
    by_keyword = cls(**{f.name: getattr(sample, f.name) for f in fields})
    assert by_keyword == sample and repr(by_keyword) == repr(sample)


# ---------------------------------------------------------------------------------------------
# The fast path accepts and refuses exactly what the interpreted parse does
# ---------------------------------------------------------------------------------------------

def outcome(fn, frame):
    try:
        return ("ok", fn(frame))
    except ProtocolError as err:
        return (type(err), err.field, err.offset, err.message)


def _block_frames():
    frames = [bytes.fromhex(f[2].replace(" ", "")) for f in FRAMES if f[1] is ImageBlockResponse]
    for size in (0, 1, 63, 64, 255):
        cmd = ImageBlockResponse(Status.SUCCESS, 0xFFFF, 0, 0xFFFFFFFF, 768_000 - 64, bytes(range(size)))
        frames.append(encode_command(cmd, tsn=255, disable_default_response=size % 2 == 0))
    return frames


def _request_frames():
    """Every field-control form of Image Block Request, with and without default response,
    extreme values, and a manufacturer-specific header (which the fast path leaves alone)."""
    frames = [bytes.fromhex(f[2].replace(" ", "")) for f in FRAMES if f[1] is ImageBlockRequest]
    for addr in (None, 0, 2**64 - 1):
        for period in (None, 0, 0xFFFF):
            cmd = ImageBlockRequest(0xFFFF, 0, 0xFFFFFFFF, 768_000 - 64, 0xFF, addr, period)
            frames.append(encode_command(cmd, tsn=255, disable_default_response=period == 0))
            frames.append(encode_command(cmd, tsn=0, manufacturer_code=0x1234))
    return frames


def _variants(frame):
    """Every truncation, every single-octet mutation with several values (the octets that
    select a form or a path in either command among them), and extensions."""
    yield from (frame[:n] for n in range(len(frame)))
    for i in range(len(frame)):
        for value in {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x08, 0x09, 0x10, 0x11, 0x15, 0x19,
                      0x20, 0x80, 0x95, 0x97, 0xFF,
                      frame[i] ^ 0x01, frame[i] ^ 0x40, (frame[i] + 1) & 0xFF, (frame[i] - 1) & 0xFF}:
            yield frame[:i] + bytes([value]) + frame[i + 1:]
    yield frame + b"\x00"
    yield frame + b"\x00\x01"
    yield frame + bytes(2) + b"\x00\x01"  # a plain form grown to the length of a longer one
    yield frame + bytes(8)
    yield frame + bytes(10)


@pytest.mark.parametrize(("frames", "fast_decoder"), [(_block_frames, _decode_block_fast),
                                                     (_request_frames, _decode_request_fast)],
                         ids=["block-response", "block-request"])
def test_fast_path_agrees_with_interpreted_on_truncations_and_mutations(frames, fast_decoder):
    """Same result, or the same error class, field, offset and message, for every variant; and
    whatever the fast decoder takes, the interpreted parse takes with the same values."""
    seen = fast_hits = 0
    for valid in frames():
        for frame in _variants(valid):
            fast, slow = outcome(decode_command, frame), outcome(_decode_interpreted, frame)
            assert fast == slow, frame.hex()
            if fast_decoder(frame) is not None:
                fast_hits += 1
                assert slow == ("ok", fast_decoder(frame)), frame.hex()
            seen += 1
    assert seen > 5000 and fast_hits > 500  # both paths really exercised


def test_request_fast_path_takes_every_plain_form():
    for frame in _request_frames():
        header = _decode_interpreted(frame)[0]
        if header.manufacturer_code is None:
            assert _decode_request_fast(frame) == _decode_interpreted(frame), frame.hex()
        else:
            assert _decode_request_fast(frame) is None


def test_construct_compiled_form_is_not_safe_alone():
    """Why the fast path is needed: construct 2.10.70's compiled parse of the same kind of
    declaration accepts a truncated frame (short data) where the interpreted parse refuses."""
    import construct as c

    plain = c.Struct("data_size" / c.Int8ul, "image_data" / c.Bytes(c.this.data_size))
    assert plain.compile().parse(b"\x05ab").image_data == b"ab"
    with pytest.raises(c.StreamError):
        plain.parse(b"\x05ab")


def test_fast_request_encode_matches_the_declaration():
    for frame in _request_frames():
        header, cmd = _decode_interpreted(frame)
        fast = _encode_request_fast(cmd, header.tsn, header.disable_default_response,
                                    header.manufacturer_code)
        assert fast == (None if header.manufacturer_code is not None else frame)


REQUEST_LEFT_TO_THE_DECLARATION = [
    # values that do not fit, or that are not exact ints: the interpreted build decides
    ImageBlockRequest(0x10000, ITYPE, FVER, OFF, 64),
    ImageBlockRequest(MFR, -1, FVER, OFF, 64),
    ImageBlockRequest(MFR, ITYPE, 2**32, OFF, 64),
    ImageBlockRequest(MFR, ITYPE, FVER, OFF, 256),
    ImageBlockRequest(MFR, ITYPE, FVER, OFF, 64, 2**64),
    ImageBlockRequest(MFR, ITYPE, FVER, OFF, 64, -1),
    ImageBlockRequest(MFR, ITYPE, FVER, OFF, 64, None, 0x10000),
    ImageBlockRequest(MFR, ITYPE, FVER, None, 64),  # type: ignore[arg-type]
    ImageBlockRequest(MFR, ITYPE, FVER, 1.0, 64),  # type: ignore[arg-type]
    ImageBlockRequest(MFR, ITYPE, FVER, OFF, True),
    ImageBlockRequest(MFR, ITYPE, FVER, OFF, 64, None, Status.ABORT),
    ImageBlockRequest(MFR, ITYPE, FVER, OFF, 64, b"\x00" * 8),  # type: ignore[arg-type]
]


@pytest.mark.parametrize("command", REQUEST_LEFT_TO_THE_DECLARATION, ids=repr)
def test_fast_request_encode_leaves_the_doubtful_to_the_declaration(command):
    assert _encode_request_fast(command, 1, False, None) is None
    try:
        frame = encode_command(command, tsn=1)
    except HarnessUsageError:
        return
    assert _decode_interpreted(frame)[1] == command  # what the declaration takes, decodes back


def test_fast_encoders_skip_the_decode_back(monkeypatch):
    """The hot builds are not checked by decoding (the tests above prove them instead)."""
    import hanota.protocol.ota_commands as oc

    def refuse(frame):
        raise AssertionError("decoded back")

    monkeypatch.setattr(oc, "_decode_interpreted", refuse)
    encode_command(ImageBlockRequest(MFR, ITYPE, FVER, OFF, 64, None, 0), tsn=1)
    encode_command(ImageBlockResponse(Status.SUCCESS, MFR, ITYPE, FVER, OFF, b"x"), tsn=1)
    with pytest.raises(AssertionError, match="decoded back"):
        encode_command(ImageBlockRequest(MFR, ITYPE, FVER, OFF, 64), tsn=1, manufacturer_code=1)


def test_a_lenient_receiver_decodes_the_hot_frames_by_the_fast_path(monkeypatch):
    """``ignore_trailing`` (the reference device's decode) takes the fast path too: a frame of
    exactly a fast form has nothing after its fields to ignore. Frames with octets after their
    fields still go to the interpreted parse."""
    import hanota.protocol.ota_commands as oc

    request = encode_command(ImageBlockRequest(MFR, ITYPE, FVER, OFF, 64, None, 0), tsn=1)
    block = encode_command(ImageBlockResponse(Status.SUCCESS, MFR, ITYPE, FVER, OFF, b"x"), tsn=1)
    want = [decode_command(request), decode_command(block)]

    def refuse(frame, *, ignore_trailing=False):
        raise AssertionError("interpreted parse")

    monkeypatch.setattr(oc, "_decode_interpreted", refuse)
    assert [decode_command(request, ignore_trailing=True), decode_command(block, ignore_trailing=True)] == want
    with pytest.raises(AssertionError, match="interpreted parse"):
        decode_command(block + b"\x00", ignore_trailing=True)


def test_fast_encode_matches_the_declaration():
    for frame in _block_frames():
        header, cmd = _decode_interpreted(frame)
        if cmd.status != Status.SUCCESS or header.manufacturer_code is not None:
            assert _encode_block_fast(cmd, header.tsn, header.disable_default_response,
                                      header.manufacturer_code) is None
            continue
        fast = _encode_block_fast(cmd, header.tsn, header.disable_default_response, None)
        assert fast == frame


# ---------------------------------------------------------------------------------------------
# zigpy as an independent peer
# ---------------------------------------------------------------------------------------------

def _zigpy_schema(cls):
    from zigpy.zcl.clusters.general import Ota

    defs = Ota.ServerCommandDefs if cls.DIRECTION is Direction.CLIENT_TO_SERVER else Ota.ClientCommandDefs
    return next(d.schema for d in defs if d.id == cls.COMMAND_ID)


def _zigpy_values(obj) -> dict:
    import zigpy.types as t

    out = {}
    for key, value in obj.as_dict().items():
        key = {"request_node_addr": "request_node_address"}.get(key, key)
        if key == "field_control":
            continue
        if isinstance(value, t.EUI64):
            value = int.from_bytes(value.serialize(), "little")
        out[key] = None if value is None else (bytes(value) if isinstance(value, bytes) else int(value))
    return out


OTA_FRAMES = [f for f in FRAMES if hasattr(f[1], "DIRECTION")]


@pytest.mark.parametrize(("name", "cls", "hexstr", "obj"), OTA_FRAMES, ids=[f[0] for f in OTA_FRAMES])
def test_zigpy_reads_our_frames_the_same(name, cls, hexstr, obj):
    import zigpy.zcl.foundation as f

    frame = encode_command(obj, tsn=0x42)
    zhdr, rest = f.ZCLHeader.deserialize(frame)
    assert zhdr.tsn == 0x42 and zhdr.command_id == cls.COMMAND_ID
    assert int(zhdr.direction) == int(cls.DIRECTION)
    zobj, left = _zigpy_schema(cls).deserialize(rest)
    assert left == b""
    ours = {k: (int(v) if isinstance(v, int) else v) for k, v in dataclasses.asdict(obj).items()}
    assert _zigpy_values(zobj) == ours
    # and what zigpy builds from those values is what we build
    assert zobj.serialize() == rest


def test_a_lenient_receiver_reads_appended_octets_of_read_attributes_as_ids_and_drops_an_odd_one():
    """Octets appended to Read Attributes: whole pairs read as further attribute ids (the device
    answers them unsupported); an odd octet after the last whole id is ignored, not malformed.
    Strictly, the odd octet stays an error naming the item."""
    frame = encode_command(ReadAttributes(attribute_ids=(0x0002, 0x0006)), tsn=5)
    _, cmd = decode_command(frame + b"\xa5\xa5\xa5", ignore_trailing=True)
    assert cmd == ReadAttributes(attribute_ids=(0x0002, 0x0006, 0xA5A5))
    assert decode_command(frame + b"\xa5", ignore_trailing=True)[1] == decode_command(frame)[1]
    with pytest.raises(ProtocolError, match=r"attribute_ids\.2"):
        decode_command(frame + b"\xa5")
