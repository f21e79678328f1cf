"""Hostile and malformed DUIS: refused with a named error, never resolved, never sized by the input."""

from __future__ import annotations

import pytest
from lxml import etree

import hanota.protocol.duis as d

from .conftest import VECTORS, need_vectors

HEADER = d.RequestHeader(d.RequestId(0x90B3D51F30010000, 0x90B3D51F30000002, 5), 8, "11.4", "11.4")
REQUEST = d.Request(HEADER, d.UpdatePPMIDFirmware(b"image bytes", 0x01000001,
                                                  (0x000D6F0000010020, 0x000D6F0000010021)))


def _xml(body: str) -> bytes:
    return (f'<sr:Request xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway" schemaVersion="5.4">'
            f"{body}</sr:Request>").encode()


@pytest.mark.parametrize("data", [
    b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><a>&c;</a>',
    b'<!DOCTYPE a SYSTEM "http://example.invalid/x.dtd"><a/>',
    b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>',
    b'<?xml-stylesheet href="x"?><a/>',
    b"<a><?php do() ?></a>",
], ids=["billion-laughs", "external-dtd", "external-entity", "pi-outside", "pi-inside"])
def test_dtds_entities_and_processing_instructions_are_refused(data):
    with pytest.raises(d.HostileXmlError):
        d.parse(data)


def test_oversize_is_refused_before_parsing():
    with pytest.raises(d.DuisSizeError) as caught:
        d.parse(b"<a>" + b"x" * 2000 + b"</a>", d.DuisLimits(max_document_bytes=1000))
    assert "above the limit of 1000 bytes" in str(caught.value)


@pytest.mark.parametrize("data", [b"", b"<a>", b"\xff\xfe<a/>", b"<a></b>"])
def test_not_well_formed(data):
    with pytest.raises(d.DuisXmlError):
        d.parse(data)


@pytest.mark.parametrize(("body", "path_end", "words"), [
    ("<sr:Header><sr:RequestID>90-B3-D5-1F-30-01-00-00:90-B3-D5-1F-30-00-00-02:01</sr:RequestID>"
     "</sr:Header>", "sr:RequestID", "counter"),
    ("<sr:Header><sr:RequestID>90-B3-D5-1F-30-01-00-00:90-B3-D5-1F-30-00-00-02:1</sr:RequestID>"
     "<sr:CommandVariant>9</sr:CommandVariant></sr:Header>", "sr:CommandVariant", "1 to 8"),
    ("<sr:Header><sr:RequestID>90-B3-D5-1F-30-01-00-00:90-B3-D5-1F-30-00-00-02:1</sr:RequestID>"
     "<sr:CommandVariant>8</sr:CommandVariant><sr:ServiceReference>11.4</sr:ServiceReference>"
     "<sr:ServiceReferenceVariant>11.4</sr:ServiceReferenceVariant></sr:Header>"
     "<sr:Body><sr:ReadFirmwareVersion/></sr:Body>", "sr:ReadFirmwareVersion", "carries UpdatePPMIDFirmware"),
    ("<sr:Header><sr:RequestID>90-B3-D5-1F-30-01-00-00:90-B3-D5-1F-30-00-00-02:1</sr:RequestID>"
     "<sr:CommandVariant>8</sr:CommandVariant><sr:ServiceReference>11.4</sr:ServiceReference>"
     "<sr:ServiceReferenceVariant>11.4</sr:ServiceReferenceVariant></sr:Header>"
     "<sr:Body><sr:UpdatePPMIDFirmware><sr:FirmwareImage>AAAA</sr:FirmwareImage>"
     "<sr:FirmwareVersion>123</sr:FirmwareVersion></sr:UpdatePPMIDFirmware></sr:Body>",
     "sr:FirmwareVersion", "8 hex digits"),
])
def test_strict_reading_names_the_element(body, path_end, words):
    with pytest.raises(d.DuisContentError) as caught:
        d.read_request(d.parse(_xml(body)))
    assert caught.value.field.endswith(path_end)
    assert words in str(caught.value)


def test_the_schema_and_the_strict_reading_each_catch_a_short_firmware_version(schema, supplier):
    root = d.build_request(REQUEST)
    root.find(".//{*}FirmwareVersion").text = "123"  # the schema allows 1-8 characters
    schema.validate(root)  # valid DUIS ...
    with pytest.raises(d.DuisContentError):  # ... but not 4 octets
        d.read_request(root)


def _signed(supplier) -> bytes:
    return d.sign_request(REQUEST, supplier)


def test_a_change_after_signing_breaks_the_signature(supplier):
    data = _signed(supplier).replace(b"00-0D-6F-00-00-01-00-21", b"00-0D-6F-00-00-01-00-22")
    with pytest.raises(d.DuisSignatureInvalidError):
        d.verify(data, [supplier.certificate])


def test_a_second_signature_is_wrapping(supplier):
    root = d.parse(_signed(supplier))
    sig = root.find("{http://www.w3.org/2000/09/xmldsig#}Signature")
    root.find("{*}Body").append(etree.fromstring(etree.tostring(sig)))
    with pytest.raises(d.SignatureWrappingError):
        d.verify(etree.tostring(root), [supplier.certificate])


def test_a_signature_inside_the_body_is_wrapping(supplier):
    root = d.parse(_signed(supplier))
    sig = root.find("{http://www.w3.org/2000/09/xmldsig#}Signature")
    root.remove(sig)
    root.find("{*}Body").append(sig)
    with pytest.raises(d.SignatureWrappingError):
        d.verify(etree.tostring(root), [supplier.certificate])


def test_a_reference_to_part_of_the_document_is_wrapping(supplier):
    data = _signed(supplier).replace(b'URI=""', b'URI="#body"')
    with pytest.raises(d.SignatureWrappingError) as caught:
        d.verify(data, [supplier.certificate])
    assert caught.value.field.endswith("ds:Reference")


def test_the_verified_values_are_read_from_the_signed_bytes(supplier, schema):
    doc = d.read_document(_signed(supplier), schema=schema, certificates=[supplier.certificate])
    assert doc.message == REQUEST


def test_signature_with_another_algorithm_is_refused(supplier):
    data = _signed(supplier).replace(b"xmldsig-more#ecdsa-sha256", b"xmldsig-more#ecdsa-sha512")
    with pytest.raises(d.DuisSignatureInvalidError):
        d.verify(data, [supplier.certificate])


def test_an_unknown_schema_file_is_a_usage_error():
    from hanota.protocol.errors import HarnessUsageError

    with pytest.raises(HarnessUsageError):
        d.load_schema(VECTORS / "nope.xsd")


def test_xxe_sample_never_reaches_the_schema(schema):
    need_vectors()
    with pytest.raises(d.HostileXmlError):
        d.read_document((VECTORS / "samples" / "duis-xxe.xml").read_bytes(), schema=schema)


def test_a_stray_character_in_the_image_is_refused(schema):
    # libxml2 (2.14) skips characters outside the base64 alphabet in xs:base64Binary; the codec's
    # strict reading refuses them whatever the schema validator does.
    root = d.build_request(REQUEST)
    image = root.find(".//{*}FirmwareImage")
    image.text = "!" + image.text
    with pytest.raises((d.DuisSchemaError, d.DuisContentError)) as caught:
        d.read_document(etree.tostring(root), schema=schema)
    assert caught.value.field.endswith("sr:UpdatePPMIDFirmware/sr:FirmwareImage")


def test_a_schema_error_names_the_element_in_a_document_without_prefixes(schema):
    need_vectors()
    text = (VECTORS / "samples" / "readfw-response-invalid.xml").read_text()
    bare = text.replace("<sr:", "<").replace("</sr:", "</").replace("xmlns:sr=", "xmlns=")
    with pytest.raises(d.DuisSchemaError) as caught:
        schema.validate(d.parse(bare.encode()))
    assert caught.value.field == "/sr:Response/sr:Body/sr:ResponseMessage/sr:ServiceReference"
    assert "'11.2.11.2'" in str(caught.value) and "sr:ServiceReference" in str(caught.value)


@pytest.mark.parametrize("location", ["http://127.0.0.1:9/other.xsd", "missing file.xsd"])
def test_a_schema_import_that_is_not_a_local_file_is_a_usage_error(tmp_path, location):
    from hanota.protocol.errors import HarnessUsageError

    xsd = tmp_path / "with import.xsd"
    xsd.write_text('<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:a">'
                   f'<xs:import namespace="urn:b" schemaLocation="{location}"/>'
                   '<xs:element name="a" type="xs:string"/></xs:schema>')
    with pytest.raises(HarnessUsageError) as caught:
        d.DuisSchema(xsd)
    assert location in str(caught.value)


def test_the_schemas_largest_firmware_image_signs_validates_and_verifies(schema, supplier):
    # 10,240,000 octets (the schema's maxLength) are 13.6 MB of base64: above libxml2's default
    # 10 MB text node, and within the default document limit.
    image = bytes(range(256)) * 40_000
    request = d.Request(HEADER, d.UpdatePPMIDFirmware(image, 0x01000001, (0x000D6F0000010020,)))
    data = d.sign_request(request, supplier)
    assert len(data) <= d.DEFAULT_MAX_DOCUMENT_BYTES
    doc = d.read_document(data, schema=schema, certificates=[supplier.certificate])
    assert doc.message == request
