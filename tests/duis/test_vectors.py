"""Every template and sample of ../shared/vectors/duis read as its README says it must be."""

from __future__ import annotations

import pytest

import hanota.protocol.duis as d
from hanota.protocol.errors import ProtocolError, SignatureInvalidError, SignatureMissingError

from .conftest import SUPPLIER_EUI, VECTORS, need_vectors

TEMPLATES = sorted(p.name for p in (VECTORS / "templates").glob("*.XML")) if VECTORS.is_dir() else []
PRE = "dsp-xml-sign-90B3D51F30000002-ds-pre-1.4.1"
NOW = "dsp-xml-sign-90B3D51F30000002-ds"


def data(path: str) -> bytes:
    need_vectors()
    return (VECTORS / path).read_bytes()


@pytest.mark.parametrize("name", TEMPLATES)
def test_template_parses_validates_and_reads(name, schema):
    doc = d.read_document(data(f"templates/{name}"), schema=schema)
    request = doc.message
    assert isinstance(request, d.Request)
    assert request.header.request_id.originator in (SUPPLIER_EUI, 0x90B3D51F30000002)
    assert request.header.service_reference == request.body.service


@pytest.mark.parametrize("name", TEMPLATES)
def test_template_signed_by_the_supplier_verifies_with_its_certificate_only(name, schema, supplier,
                                                                           supplier2):
    root = d.parse(data(f"templates/{name}"))
    before = d.read_request(root)
    signed = d.sign(root, supplier)  # the placeholder signature is replaced
    doc = d.read_document(signed, schema=schema, certificates=[supplier.certificate])
    assert doc.message == before
    assert doc.signer == supplier.certificate
    with pytest.raises(d.DuisUnknownSignerError):
        d.read_document(signed, schema=schema, certificates=[supplier2.certificate])


def test_sr_11_4_template_values(schema):
    raw = data("templates/11.4_UPDATE_PPMID_FIRMWARE_REQUEST_DUIS.XML")
    request = d.read_document(raw, schema=schema).message
    assert isinstance(request.body, d.UpdatePPMIDFirmware)
    assert request.header.request_id == d.RequestId(SUPPLIER_EUI, 0x90B3D51F30000002, 1000)
    assert request.header.command_variant == 8
    assert request.body.device_ids == (0x00DB1234567890A4,)
    assert request.body.firmware_version == 0
    assert request.body.firmware_image[:4] == bytes.fromhex("1ef1ee0b")  # the OTA file identifier


def test_activate_firmware_templates(schema):
    future = d.read_document(data("templates/CS06_11.3_FUTURE_DATED_SUCCESS_REQUEST_DUIS.XML"), schema=schema)
    now = d.read_document(data("templates/CS06_11.3_IMMEDIATE_SUCCESS_REQUEST_DUIS.XML"), schema=schema)
    assert isinstance(future.message.body, d.ActivateFirmware)
    assert future.message.body.execution_datetime.year == 2030
    assert now.message.body.execution_datetime is None
    assert now.message.body.firmware_hash.hex().upper().startswith("AA7586")


def test_dcc_boxed_response_verifies_and_its_gbcs_payload_decodes(schema, dsp_certs):
    doc = d.read_document(data("samples/readfw-response.xml"), schema=schema, certificates=[dsp_certs[PRE]])
    response = doc.message
    assert isinstance(response, d.Response)
    assert response.header.response_code == "I0"
    assert response.header.kind is d.ResponseKind.SUCCESS
    frame = response.body.gbcs_frame()
    assert frame.originator_title == 0x887384 << 40 | 0x57002F961E
    assert frame.recipient_title == 0x90B3D51F30000002


@pytest.mark.parametrize("name", ["readfw-response-resigned.xml", "read-inventory-response-5.4.xml"])
def test_resigned_samples_verify_with_the_current_dsp_certificate(name, schema, dsp_certs):
    doc = d.read_document(data(f"samples/{name}"), schema=schema, certificates=list(dsp_certs.values()))
    assert doc.signer == dsp_certs[NOW]
    with pytest.raises(d.DuisUnknownSignerError):
        d.read_document(data(f"samples/{name}"), certificates=[dsp_certs[PRE]])


def test_inventory_sample_reads_its_devices(schema, dsp_certs):
    doc = d.read_document(data("samples/read-inventory-response-5.4.xml"), schema=schema,
                          certificates=[dsp_certs[NOW]])
    devices = doc.message.body.inventory
    assert [x.device_type for x in devices] == ["CHF", "CAD", "GPF"]
    assert devices[0].get("DeviceFirmwareVersion") == "9001"


@pytest.mark.parametrize(("name", "error", "path_end"), [
    ("readfw-response-badsignature.xml", d.DuisSignatureInvalidError, "ds:Signature"),
    ("readfw-response-no-signature.xml", d.DuisSignatureMissingError, "sr:Response"),
    ("readfw-response-invalid.xml", d.DuisSchemaError, "sr:ResponseMessage/sr:ServiceReference"),
    ("duis-xxe.xml", d.HostileXmlError, "document"),
    ("ECS17b_4.1.1_SINGLE_SUCCESS_REQUEST_DUIS-signed.XML", d.DuisUnknownSignerError, "ds:Signature"),
])
def test_bad_samples_are_refused_with_named_errors(name, error, path_end, schema, dsp_certs, supplier):
    certs = [*dsp_certs.values(), supplier.certificate]
    with pytest.raises(error) as caught:
        d.read_document(data(f"samples/{name}"), schema=schema, certificates=certs)
    assert isinstance(caught.value, ProtocolError)
    assert caught.value.field.endswith(path_end)
    assert "\n" not in str(caught.value)


def test_signature_errors_are_part_of_the_codec_error_tree():
    assert issubclass(d.DuisSignatureInvalidError, SignatureInvalidError)
    assert issubclass(d.DuisUnknownSignerError, SignatureInvalidError)
    assert issubclass(d.DuisSignatureMissingError, SignatureMissingError)


def test_xxe_never_resolves_the_entity(dsp_certs):
    with pytest.raises(d.HostileXmlError) as caught:
        d.parse(data("samples/duis-xxe.xml"))
    assert "root:" not in str(caught.value)


def test_invalid_sample_is_refused_by_the_strict_reading_without_the_schema_too():
    with pytest.raises(d.DuisContentError) as caught:
        d.read_document(data("samples/readfw-response-invalid.xml"))
    assert caught.value.field.endswith("sr:ResponseMessage/sr:ServiceReference")


def test_the_suite_reads_dcc_boxeds_sr_11_2_response_as_it_reads_the_reference_dccs(schema, dsp_certs):
    """DCC Boxed's Response to SR 11.2 is the shape the reference DCC answers with (issue 17):
    RequestID of the request, ResponseID from the device (the request's target) to the user with
    the request's counter, the device's GBCS response in GBCSPayload. Its payload is an ESME's
    (message code 0x0059), not a PPMID's CS08: the suite reads no CS08 responseCode from it."""
    from hanota.conformance.duis.client import _cs08_answer

    response = d.read_document(data("samples/readfw-response.xml"), schema=schema,
                               certificates=[dsp_certs[PRE]]).message
    rid, answer = response.header.request_id, response.header.response_id
    assert (answer.originator, answer.target, answer.counter) == (rid.target, rid.originator, rid.counter)
    assert response.body.service_reference == "11.2"
    assert response.body.gbcs_frame().originator_title == rid.target
    read = _cs08_answer(response, rid, rid.target, 0)
    assert read.response_code is None and read.firmware_version is None
    assert "message code 0x0059" in read.detail
