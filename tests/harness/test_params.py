"""The feature parameter parsers: every written form, and a clear usage error for typos."""

from __future__ import annotations

import re

import pytest

from hanota.conformance import params as p
from hanota.protocol.errors import HarnessUsageError
from hanota.protocol.ota_commands import CommandId, encode_image_identity
from hanota.protocol.zcl import ImageUpgradeStatus, Status

LIMIT = 768_000


@pytest.mark.parametrize(("text", "expected"), [
    ("768000 bytes", 768_000), ("1 byte", 1), ("200 kB", 204_800), ("1 kB", 1024),
    ("the size limit", LIMIT), ("the size limit + 1 byte", LIMIT + 1),
    ("the size limit - 1 byte", LIMIT - 1), ("the size limit + 10 bytes", LIMIT + 10),
    ("2 times the size limit", 2 * LIMIT), ("4 times the size limit", 4 * LIMIT),
])
def test_sizes(text: str, expected: int) -> None:
    assert p.parse_size(text).resolve(LIMIT) == expected


def test_header_only_is_an_empty_payload() -> None:
    assert p.parse_size("header only").header_only


@pytest.mark.parametrize(("text", "expected"), [
    ("the declared capacity", 500_000), ("the declared capacity - 1 byte", 499_999),
    ("the declared capacity + 768000 bytes", 1_268_000)])
def test_sizes_by_the_declared_capacity(text: str, expected: int) -> None:
    size = p.parse_size(text)
    assert size.capacity and size.resolve(LIMIT, 500_000) == expected
    with pytest.raises(HarnessUsageError, match="declared image capacity"):
        size.resolve(LIMIT)


@pytest.mark.parametrize("text", ["750kB", "2 byte", "the size limit + 1", "0 times the size limit",
                                  "big", "1.5 kB", "the size limit+1 byte"])
def test_bad_sizes_name_the_text(text: str) -> None:
    with pytest.raises(HarnessUsageError, match=re.escape(f"size {text!r} is not understood")):
        p.parse_size(text)


@pytest.mark.parametrize(("text", "ms"), [
    ("250 ms", 250), ("1 second", 1_000), ("30 seconds", 30_000), ("1 minute", 60_000),
    ("9 minutes", 540_000), ("1 hour", 3_600_000), ("23 hours", 82_800_000), ("2 days", 172_800_000),
])
def test_durations(text: str, ms: int) -> None:
    assert p.parse_duration(text).resolve({}) == ms


def test_pixit_durations_resolve_from_the_run() -> None:
    d = p.parse_duration("the alert service level")
    assert d.resolve({"alert_service_level_ms": 5}) == 5
    with pytest.raises(HarnessUsageError, match="no PIXIT value"):
        d.resolve({})
    assert set(p.PIXIT_DURATIONS.values()) == {
        "alert_service_level_ms", "version_confirmation_delay_ms", "alert_stagger_interval_ms"}


@pytest.mark.parametrize("text", ["1 seconds", "2 minute", "5 s", "ten minutes", "the service level", ""])
def test_bad_durations(text: str) -> None:
    with pytest.raises(HarnessUsageError, match="duration"):
        p.parse_duration(text)


def test_upgrade_times() -> None:
    K = p.UpgradeTimeKind
    assert p.parse_upgrade_time("now").kind is K.NOW
    assert p.parse_upgrade_time("wait for a further command").kind is K.WAIT
    later = p.parse_upgrade_time("10 minutes later")
    assert later.kind is K.LATER and later.delay == p.Duration(ms=600_000)
    offset = p.parse_upgrade_time("10 minutes later, as an offset")
    assert offset.kind is K.OFFSET and offset.delay == p.Duration(ms=600_000)
    for bad in ("soon", "later", "10 minutes", "tomorrow later"):
        with pytest.raises(HarnessUsageError, match="upgrade time"):
            p.parse_upgrade_time(bad)


def test_fragment_orders() -> None:
    assert p.parse_fragment_order("3,1,2") == (3, 1, 2)
    assert p.parse_fragment_order("2") == (2,)
    for bad in ("", "0,1", "1,1", "1;2", "a,b", "1,-2"):
        with pytest.raises(HarnessUsageError, match="fragment order"):
            p.parse_fragment_order(bad)


def test_statuses_and_commands() -> None:
    assert p.parse_status("WAIT_FOR_DATA") is Status.WAIT_FOR_DATA
    assert p.parse_status("MALFORMED_COMMAND") is Status.MALFORMED_COMMAND
    assert p.parse_upgrade_status("normal") is ImageUpgradeStatus.NORMAL
    assert p.parse_upgrade_status("download complete") is ImageUpgradeStatus.DOWNLOAD_COMPLETE
    assert p.parse_ota_command("Image Block Request") is CommandId.IMAGE_BLOCK_REQUEST
    with pytest.raises(HarnessUsageError, match="status 'success'"):
        p.parse_status("success")
    with pytest.raises(HarnessUsageError, match="ImageUpgradeStatus 'fine'"):
        p.parse_upgrade_status("fine")
    with pytest.raises(HarnessUsageError, match="OTA command"):
        p.parse_ota_command("Image Page Request")


def test_hex_frames() -> None:
    frame = p.parse_hex_frame("19 00 02 00 34 12")
    assert frame.images == ()
    assert frame.render(lambda label: pytest.fail(label)) == bytes([0x19, 0, 2, 0, 0x34, 0x12])
    for bad in ("190002", "19 0", "19  00 02", "zz 00 02", "19 00", "19 00 {identity of}",
                "19 00 {new}", "19 00 05{identity of new}", "{identity new}"):
        with pytest.raises(HarnessUsageError, match="hex frame"):
            p.parse_hex_frame(bad)


def test_hex_frames_name_images_by_label() -> None:
    """The image's identity is filled in per run, so the frame names what the device was offered."""
    frame = p.parse_hex_frame("19 00 05 00 {identity of new} 40 00 00 00 01 ff")
    assert frame.images == ("new",)
    identity = {"new": encode_image_identity(0x5678, 0x0A0B, 0x01020304)}
    assert frame.render(identity.__getitem__) == bytes.fromhex(
        "19 00 05 00 78 56 0b 0a 04 03 02 01 40 00 00 00 01 ff")
    assert p.parse_hex_frame("{identity of new}").render(identity.__getitem__) == identity["new"]


def test_names_and_choices() -> None:
    assert p.parse_supplier("Supplier C") == "Supplier C"
    assert p.parse_relation("older") is p.Relation.OLDER
    assert p.parse_kind("device") is None and p.parse_kind("IHD") == "ihd"
    assert p.parse_source("a Hand Held Terminal") is p.Source.HHT
    assert p.parse_target("every device") is p.Target.EVERY_DEVICE
    assert p.parse_alert("Image Discarded") is p.Alert.IMAGE_DISCARDED
    assert p.parse_discard_reason("an electricity meter image took priority") is \
        p.DiscardReason.METER_IMAGE_PRIORITY
    assert p.parse_count("3") == 3
    assert p.parse_recipient("another device") is p.Recipient.ANOTHER_DEVICE
    assert p.parse_recipient("the device") is p.Recipient.DEVICE
    for parser, bad in ((p.parse_supplier, " Supplier A"), (p.parse_supplier, "British Gas"),
                        (p.parse_relation, "newest"), (p.parse_kind, "meter"),
                        (p.parse_source, "the HHT"), (p.parse_alert, "(d)"), (p.parse_count, "0"),
                        (p.parse_label, ""), (p.parse_discard_reason, "no reason"),
                        (p.parse_recipient, "the hub")):
        with pytest.raises(HarnessUsageError, match=re.escape(repr(bad))):
            parser(bad)


def test_defects() -> None:
    for kind in p.DefectKind:
        if kind not in (p.DefectKind.FRAGMENT_BYTE, p.DefectKind.FRAGMENT_FORGED_DIGEST,
                        p.DefectKind.COUNT_DIFFERS, p.DefectKind.RESERVED_IMAGE_TYPE):
            assert p.parse_defect(kind.value) == p.Defect(kind)
    assert p.parse_defect("the image type is 0xFFC1, reserved for device-specific files") == \
        p.Defect(p.DefectKind.RESERVED_IMAGE_TYPE, image_type=0xFFC1)
    with pytest.raises(HarnessUsageError, match="0xFFC0 to 0xFFFE"):
        p.parse_defect("the image type is 0xFFFF, reserved for device-specific files")
    assert p.parse_defect("fragment 2 declares one fragment more than the others") == \
        p.Defect(p.DefectKind.COUNT_DIFFERS, 2)
    with pytest.raises(HarnessUsageError, match="fragment number from 1"):
        p.parse_defect("fragment 0 declares one fragment more than the others")
    assert p.parse_defect("a byte of fragment 2 is changed after signing") == \
        p.Defect(p.DefectKind.FRAGMENT_BYTE, 2)
    assert p.parse_defect("a byte of fragment 3 is changed after signing and the whole-image "
                          "digest is forged to match") == p.Defect(p.DefectKind.FRAGMENT_FORGED_DIGEST, 3)
    with pytest.raises(HarnessUsageError, match="image defect"):
        p.parse_defect("the image is bad")


# ------------------------------------------------------------------ the DCC side's choices
def test_a_quoted_step_parameter_never_takes_a_longer_phrasing() -> None:
    from pytest_bdd import parsers

    short = parsers.parse('the DCC rejects the Service Request from "{supplier:q}"', extra_types=p.STEP_TYPES)
    text = 'the DCC rejects the Service Request from "Supplier A" because "its role may not send it"'
    assert not short.is_matching(text)
    assert short.parse_arguments('the DCC rejects the Service Request from "Supplier A"') == {
        "supplier": "Supplier A"}


@pytest.mark.parametrize(("parse", "text", "expected"), [
    (p.parse_ccs08_code, "Success", 0), (p.parse_ccs08_code, "File Transfer Failure", 3),
    (p.parse_result, "Failure", 1), (p.parse_activation_outcome, "Hash Mismatch", 2),
    (p.parse_gbcs_alert_code, "0x8F89", 0x8F89),
    (p.parse_irregularity, "the role Other User", p.Irregularity.OTHER_USER),
    (p.parse_rejection_reason, "its role may not send it", p.RejectionReason.ROLE_MAY_NOT_SEND),
    (p.parse_image_hash, "a wrong hash", p.ImageHash.WRONG),
])
def test_dcc_side_choices(parse: object, text: str, expected: object) -> None:
    assert callable(parse) and parse(text) == expected


@pytest.mark.parametrize(("parse", "text", "named"), [
    (p.parse_ccs08_code, "success", "CCS08 response code"), (p.parse_result, "OK", "result"),
    (p.parse_gbcs_alert_code, "8F89", "GBCS alert code"), (p.parse_irregularity, "the role", "irregularity"),
])
def test_dcc_side_choices_refuse_typos_naming_the_type(parse: object, text: str, named: str) -> None:
    with pytest.raises(HarnessUsageError, match=re.escape(f"{named} {text!r} is not understood")):
        assert callable(parse) and parse(text)


def test_hex_frames_name_another_manufacturer_than_the_device() -> None:
    """SECMP7-ZCL-007's manufacturer-specific frames must not carry the device's own code."""
    frame = p.parse_hex_frame("0c {another manufacturer} 00 00 02 00")
    assert frame.images == ()
    never = lambda label: pytest.fail(label)  # noqa: E731
    assert frame.render(never, 0x1234) == bytes.fromhex("0c 57 7e 00 00 02 00")
    assert frame.render(never, 0x7E57) == bytes.fromhex("0c 58 7e 00 00 02 00")
    with pytest.raises(HarnessUsageError, match="hex frame"):
        p.parse_hex_frame("0c {another} 00 00 02 00")
