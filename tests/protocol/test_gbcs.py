"""GBCS firmware messages: the public sample frames, payload roundtrips and hostile input."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import given as hgiven
from hypothesis import strategies as st

from hanota.protocol import gbcs
from hanota.protocol.errors import HarnessUsageError, ProtocolError
from hanota.protocol.gbcs import (
    ActivateFirmwareCommand,
    ActivateFirmwareResponse,
    ActivationResponseCode,
    AlertCode,
    Ciphering,
    CraFlag,
    ExecutionOutcome,
    FirmwareTransferAlert,
    FirmwareTransferResponseCode,
    FirmwareVersionAlert,
    FirmwareVersionCommand,
    FirmwareVersionResponse,
    FutureDatedActivationAlert,
    GbcsFrame,
    ImageActivationResult,
    MessageCode,
    ReadResponseCode,
    UnknownPayloadError,
)

FRAMES = Path(__file__).resolve().parents[2] / ".." / "shared" / "vectors" / "gbcs" / "frames"
if not FRAMES.is_dir():
    FRAMES = Path("/work/shared/vectors/gbcs/frames")
SAMPLES = sorted(FRAMES.glob("*.HEX"))
HASH = bytes.fromhex("AA758690730934FF0685AA758690730934FF0685657788990011223344556677")
DCC_TITLE = 0x90B3D51F30010000
DEVICE_TITLE = 0x00DB1234567890A0


def load(name: str) -> bytes:
    return bytes.fromhex((FRAMES / name).read_text().strip())


def test_all_samples_present():
    assert len(SAMPLES) == 21


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_sample_roundtrips_byte_for_byte(path: Path):
    data = bytes.fromhex(path.read_text().strip())
    frame = gbcs.decode_frame(data)
    assert gbcs.encode_frame(frame) == data
    assert data[frame.content_offset:frame.content_offset + len(frame.content)] == frame.content
    payload = frame.payload()
    assert gbcs.encode_payload(payload) == frame.content
    assert (type(payload).MESSAGE_CODE, type(payload).CRA_FLAG) == (frame.message_code, frame.cra_flag)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_sample_envelope_matches_file_name(path: Path):
    name = path.stem
    frame = gbcs.decode_frame(bytes.fromhex(path.read_text().strip()))
    kind = name.split("_")[-2]
    assert frame.cra_flag == {"COMMAND": CraFlag.COMMAND, "PRECOMMAND": CraFlag.COMMAND,
                              "RESPONSE": CraFlag.RESPONSE, "ALERT": CraFlag.ALERT}[kind]
    # Only the commands (and the CS08 response) travel inside the general-ciphering wrapper.
    assert (frame.ciphering is not None) == (kind == "COMMAND" or name.startswith("CS08"))
    # Pre-commands are the unsigned form: no signature-length octet at all.
    assert (frame.signature is None) == (kind == "PRECOMMAND")
    if name.startswith("CS08"):
        assert frame.message_code == MessageCode.READ_FIRMWARE_VERSION
        assert frame.signature == b""  # CS08 is not signed
        assert frame.supplementary_remote_party_id == DCC_TITLE
        assert frame.supplementary_remote_party_counter == 1000 + ("ERROR" in name)
    elif kind == "ALERT":
        assert frame.message_code == MessageCode.ACTIVATE_FIRMWARE_ALERT
        assert frame.originator_title == DEVICE_TITLE and frame.recipient_title == DCC_TITLE
    else:
        assert frame.message_code == MessageCode.ACTIVATE_FIRMWARE
        assert frame.supplementary_remote_party_id is None
        if kind != "PRECOMMAND":
            assert frame.signature is not None and len(frame.signature) == 64
    if kind == "RESPONSE" and name.startswith("CS06"):
        assert frame.date_time == bytes.fromhex("07DF0101FF000000008000FF")
    if kind in ("COMMAND", "PRECOMMAND"):
        assert frame.date_time is None


def _payload(name: str) -> object:
    return gbcs.decode_frame(load(name)).payload()


@pytest.mark.parametrize("stem", ["IMMEDIATE_SUCCESS", "IMMEDIATE_ERROR"])
def test_immediate_command(stem: str):
    for kind in ("COMMAND", "PRECOMMAND"):
        cmd = _payload(f"CS06_11.3_{stem}_{kind}_GBCS.HEX")
        assert isinstance(cmd, ActivateFirmwareCommand)
        assert cmd.manufacturer_image_hash == HASH
        assert cmd.execution_date_time is None
        assert not cmd.is_future_dated and not cmd.is_cancellation
        assert cmd.originator_counter == (1000 if stem == "IMMEDIATE_SUCCESS" else 1005)


def test_future_dated_and_cancellation_commands():
    ok = _payload("CS06_11.3_FUTURE_DATED_SUCCESS_COMMAND_GBCS.HEX")
    err = _payload("CS06_11.3_FUTURE_DATED_ERROR_COMMAND_GBCS.HEX")
    cancel = _payload("CS06_11.3_CANCELLATION_SUCCESS_COMMAND_GBCS.HEX")
    assert isinstance(ok, ActivateFirmwareCommand) and ok.is_future_dated
    assert ok.execution_date_time == datetime(2030, 1, 15, 9, 0, tzinfo=UTC)
    assert ok.originator_counter == 1001
    assert isinstance(err, ActivateFirmwareCommand) and err.is_future_dated
    assert err.execution_date_time == datetime(2030, 1, 1, tzinfo=UTC)
    assert isinstance(cancel, ActivateFirmwareCommand) and cancel.is_cancellation
    assert not cancel.is_future_dated
    assert cancel.execution_date_time == gbcs.CANCELLATION_DATE_TIME


def test_immediate_responses_carry_execution_outcome():
    ok = _payload("CS06_11.3_IMMEDIATE_SUCCESS_RESPONSE_GBCS.HEX")
    err = _payload("CS06_11.3_IMMEDIATE_ERROR_RESPONSE_GBCS.HEX")
    assert ok == ActivateFirmwareResponse(ExecutionOutcome(ActivationResponseCode.SUCCESS,
                                                           bytes.fromhex("0123ABCE")))
    assert err == ActivateFirmwareResponse(ExecutionOutcome(ActivationResponseCode.NO_IMAGE_HELD,
                                                            bytes.fromhex("0123ABCF")))


@pytest.mark.parametrize("name", ["CS06_11.3_FUTURE_DATED_SUCCESS_RESPONSE_GBCS.HEX",
                                  "CS06_11.3_FUTURE_DATED_ERROR_RESPONSE_GBCS.HEX",
                                  "CS06_11.3_CANCELLATION_SUCCESS_RESPONSE_GBCS.HEX"])
def test_accepted_responses_are_null(name: str):
    assert _payload(name) == ActivateFirmwareResponse(None)
    assert gbcs.decode_frame(load(name)).content == b"\x05\x00"


def test_future_dated_alerts():
    ok = _payload("CS06_11.3_8F66_FUTURE_DATED_SUCCESS_ALERT_GBCS.HEX")
    err = _payload("CS06_11.3_8F67_FUTURE_DATED_ERROR_ALERT_GBCS.HEX")
    assert ok == FutureDatedActivationAlert(
        AlertCode.FUTURE_DATED_ACTIONED, datetime(2030, 1, 15, 9, 0, tzinfo=UTC), 1001,
        ExecutionOutcome(ActivationResponseCode.SUCCESS, bytes.fromhex("0123ABCF")))
    assert err == FutureDatedActivationAlert(
        AlertCode.FUTURE_DATED_NOT_ACTIONED, datetime(2030, 1, 1, tzinfo=UTC), 1004,
        ExecutionOutcome(ActivationResponseCode.HASH_MISMATCH, bytes.fromhex("0123ABCF")))


def test_cs08_read_firmware_version():
    for outcome in ("SUCCESS", "ERROR"):
        assert _payload(f"CS08_11.2_{outcome}_COMMAND_GBCS.HEX") == FirmwareVersionCommand()
    assert _payload("CS08_11.2_SUCCESS_RESPONSE_GBCS.HEX") == FirmwareVersionResponse(
        bytes.fromhex("0123ABCD"), ReadResponseCode.SUCCESS)
    assert _payload("CS08_11.2_ERROR_RESPONSE_GBCS.HEX") == FirmwareVersionResponse(
        bytes(4), ReadResponseCode.FAILURE)


def test_ccs08_and_8f8b_layouts_hand_built():
    """No public sample: check the project's reading against bytes built by hand."""
    when = datetime(2024, 6, 1, 12, 30, tzinfo=UTC)
    alert = FirmwareTransferAlert(AlertCode.FIRMWARE_TRANSFER_FAILURE, when,
                                  bytes.fromhex("00DB1234567890A5"), bytes.fromhex("01020304"),
                                  FirmwareTransferResponseCode.IMAGE_DISCARDED)
    expected = bytes.fromhex("3029" "0203008f89" "180f") + b"20240601123000Z" + bytes.fromhex(
        "040800db1234567890a5" "040401020304" "020101")
    assert gbcs.encode_payload(alert) == expected
    assert gbcs.decode_payload(0x0128, 3, expected) == alert
    version = FirmwareVersionAlert(when, bytes.fromhex("01020304"), ImageActivationResult.FAILURE)
    expected = bytes.fromhex("301f" "0203008f8b" "180f") + b"20240601123000Z" + bytes.fromhex(
        "040401020304" "020101")
    assert gbcs.encode_payload(version) == expected
    assert gbcs.decode_payload(0x0129, 3, expected) == version


def test_unknown_payload_and_wrong_alert_code():
    with pytest.raises(UnknownPayloadError) as info:
        gbcs.decode_payload(0x0012, 3, b"\x05\x00")
    assert info.value.field == "message_code"
    # 0x8F66 is not a Firmware Transfer Alert code.
    content = bytes.fromhex("30290203008f66180f") + b"20240601123000Z" + bytes.fromhex(
        "040800db1234567890a5040401020304020101")
    with pytest.raises(ProtocolError) as err:
        gbcs.decode_payload(0x0128, 3, content, base_offset=100)
    assert err.value.field == "firmware_transfer_alert.alert_code"
    assert err.value.offset == 104


def test_error_names_field_and_absolute_offset():
    data = bytearray(load("CS06_11.3_FUTURE_DATED_SUCCESS_COMMAND_GBCS.HEX"))
    frame = gbcs.decode_frame(bytes(data))
    data[frame.content_offset + 41] = 0x17  # GeneralizedTime length runs past its SEQUENCE
    with pytest.raises(ProtocolError) as err:
        gbcs.decode_frame(bytes(data)).payload()
    assert err.value.field == "activate_firmware_command.execution_date_time"
    assert err.value.offset == frame.content_offset + 41


def test_length_checked_before_reading():
    # Wrapper claiming 0xFFFFFF bytes: refused at the length, nothing of that size read.
    with pytest.raises(ProtocolError) as err:
        gbcs.decode_frame(bytes.fromhex("dd000000000000" "83ffffff" "1100000000"))
    assert err.value.field == "frame.body" and "runs past the end" in err.value.message
    with pytest.raises(ProtocolError, match="shortest form"):
        gbcs.decode_payload(0x0129, 2, bytes.fromhex("3081090404000000000201 00".replace(" ", "")))


def test_encode_refuses_misuse():
    frame = gbcs.decode_frame(load("CS08_11.2_SUCCESS_COMMAND_GBCS.HEX"))
    with pytest.raises(HarnessUsageError):
        gbcs.encode_frame(GbcsFrame(**{**frame.__dict__, "signature": None}))
    with pytest.raises(HarnessUsageError):
        gbcs.encode_frame(GbcsFrame(**{**frame.__dict__, "supplementary_remote_party_id": None}))
    with pytest.raises(HarnessUsageError):
        gbcs.encode_payload(object())  # type: ignore[arg-type]


# ----------------------------------------------------------------- properties

u64 = st.integers(0, 2**64 - 1)
times = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)).map(
    lambda d: d.replace(microsecond=0, tzinfo=UTC))
fw = st.binary(min_size=4, max_size=4)
outcomes = st.builds(ExecutionOutcome, st.sampled_from(ActivationResponseCode), fw)
payloads = st.one_of(
    st.builds(ActivateFirmwareCommand, st.binary(min_size=32, max_size=32), u64, st.none() | times),
    st.builds(ActivateFirmwareResponse, st.none() | outcomes),
    st.builds(FutureDatedActivationAlert,
              st.sampled_from([AlertCode.FUTURE_DATED_ACTIONED, AlertCode.FUTURE_DATED_NOT_ACTIONED]),
              times, u64, outcomes),
    st.just(FirmwareVersionCommand()),
    st.builds(FirmwareVersionResponse, fw, st.sampled_from(ReadResponseCode)),
    st.builds(FirmwareVersionAlert, times, fw, st.sampled_from(ImageActivationResult)),
    st.builds(FirmwareTransferAlert,
              st.sampled_from([AlertCode.FIRMWARE_TRANSFER_SUCCESS, AlertCode.FIRMWARE_TRANSFER_FAILURE]),
              times, st.binary(min_size=8, max_size=8), fw, st.sampled_from(FirmwareTransferResponseCode)),
)


@settings(max_examples=150, deadline=None)
@hgiven(payloads)
def test_payload_roundtrip(obj):
    data = gbcs.encode_payload(obj)
    assert gbcs.decode_payload(type(obj).MESSAGE_CODE, type(obj).CRA_FLAG, data) == obj
    assert gbcs.encode_payload(gbcs.decode_payload(type(obj).MESSAGE_CODE, type(obj).CRA_FLAG, data)) == data


@st.composite
def frames(draw: st.DrawFn) -> GbcsFrame:
    ciphered = draw(st.booleans())
    depth = draw(st.integers(0, 3))
    extras = [draw(u64) if i < depth else None for i in range(3)]
    signature = draw(st.sampled_from([b"", None, "sig"]))
    if signature == "sig":
        signature = draw(st.binary(min_size=64, max_size=64))
    if ciphered and signature is None:
        signature = b""
    return GbcsFrame(
        cra_flag=draw(st.sampled_from(CraFlag)), originator_counter=draw(u64),
        originator_title=draw(u64), recipient_title=draw(u64), message_code=draw(st.integers(0, 0xFFFF)),
        content=draw(st.binary(max_size=300)),
        date_time=draw(st.none() | st.binary(min_size=12, max_size=12)),
        supplementary_remote_party_id=extras[0], supplementary_remote_party_counter=extras[1],
        supplementary_originator_counter=extras[2], signature=signature,  # type: ignore[arg-type]
        ciphering=Ciphering(draw(st.integers(0, 2**32 - 1)), draw(st.binary(min_size=12, max_size=12)))
        if ciphered else None,
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@hgiven(frames())
def test_frame_roundtrip(frame: GbcsFrame):
    data = gbcs.encode_frame(frame)
    back = gbcs.decode_frame(data)
    assert back == frame
    assert data[back.content_offset:back.content_offset + len(back.content)] == frame.content
    assert gbcs.encode_frame(back) == data


def _only_protocol_errors(data: bytes) -> None:
    try:
        gbcs.decode_frame(data).payload()
    except ProtocolError as err:
        assert err.field, err
        assert err.offset is not None and 0 <= err.offset <= len(data), err


@settings(max_examples=300, deadline=None)
@hgiven(st.binary(max_size=200) | st.binary(max_size=60).map(lambda b: b"\xdf\x09" + b)
        | st.binary(max_size=60).map(lambda b: b"\xdd" + bytes(6) + b))
def test_random_bytes_raise_only_protocol_errors(data: bytes):
    _only_protocol_errors(data)


@settings(max_examples=300, deadline=None)
@hgiven(st.sampled_from(SAMPLES), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)),
                                           min_size=1, max_size=4))
def test_mutated_samples_raise_only_protocol_errors(path: Path, edits: list[tuple[int, int]]):
    data = bytearray(bytes.fromhex(path.read_text().strip()))
    for pos, value in edits:
        data[pos % len(data)] = value
    _only_protocol_errors(bytes(data))


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_truncation_at_every_offset(path: Path):
    data = bytes.fromhex(path.read_text().strip())
    for cut in range(len(data)):
        short = data[:cut]
        try:
            gbcs.decode_frame(short).payload()
        except ProtocolError as err:
            assert err.offset is not None and err.offset <= cut
        else:
            # Cutting a signed, unwrapped frame right after its content leaves a valid pre-command.
            assert not data.startswith(b"\xdd")
            assert gbcs.decode_frame(short).signature is None


def test_mutation_sweep_is_deterministic_and_clean():
    rng = random.Random(7)
    blobs = [bytes.fromhex(p.read_text().strip()) for p in SAMPLES]
    for _ in range(2000):
        data = bytearray(rng.choice(blobs))
        for _ in range(rng.randint(1, 3)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        _only_protocol_errors(bytes(data))
