"""DUIS, the DCC User Interface Specification: the XML the DCC and its users exchange.

The firmware flow's Service Requests (SR 11.4, 11.1, 11.3, 11.2), Responses and Alerts as
typed values (``requests``, ``responses``); safe parsing with size limits (``xmldoc``); schema
validation against the file a user names (``schema``); XML signatures (``signing``). All
failures are the named errors of ``errors`` (part of ``protocol.errors``' tree).

:func:`read_document` is the one entry point for bytes from outside: parse safely, validate
against the schema if one is given, verify the signature if certificates are given, then read
the verified bytes strictly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from .errors import (
    DuisContentError,
    DuisError,
    DuisSchemaError,
    DuisSignatureInvalidError,
    DuisSignatureMissingError,
    DuisSizeError,
    DuisUnknownSignerError,
    DuisXmlError,
    HostileXmlError,
    SignatureWrappingError,
)
from .requests import (
    SCHEMA_VERSION,
    SERVICES,
    ActivateFirmware,
    ReadFirmwareVersion,
    ReadInventory,
    Request,
    RequestBody,
    RequestHeader,
    RequestId,
    UpdateFirmware,
    UpdatePPMIDFirmware,
    build_request,
    read_request,
)
from .responses import (
    CommsHubAlert,
    CSPFirmwareDeliveryStatus,
    DccAlertMessage,
    DeviceAlertMessage,
    FirmwareTransferAlert,
    InventoryDevice,
    PPMIDAlert,
    PPMIDFirmwareWarning,
    Response,
    ResponseBody,
    ResponseHeader,
    ResponseKind,
    ResponseMessage,
    build_response,
    read_response,
    response_kind,
)
from .schema import DuisSchema, load_schema
from .signing import Signer, Verified, load_certificate, load_private_key, sign, verify
from .xmldoc import DEFAULT_MAX_DOCUMENT_BYTES, DuisLimits, element_path, parse

__all__ = [
    "DEFAULT_MAX_DOCUMENT_BYTES",
    "SCHEMA_VERSION",
    "SERVICES",
    "ActivateFirmware",
    "CSPFirmwareDeliveryStatus",
    "CommsHubAlert",
    "DccAlertMessage",
    "DeviceAlertMessage",
    "Document",
    "DuisContentError",
    "DuisError",
    "DuisLimits",
    "DuisSchema",
    "DuisSchemaError",
    "DuisSignatureInvalidError",
    "DuisSignatureMissingError",
    "DuisSizeError",
    "DuisUnknownSignerError",
    "DuisXmlError",
    "FirmwareTransferAlert",
    "HostileXmlError",
    "InventoryDevice",
    "PPMIDAlert",
    "PPMIDFirmwareWarning",
    "ReadFirmwareVersion",
    "ReadInventory",
    "Request",
    "RequestBody",
    "RequestHeader",
    "RequestId",
    "Response",
    "ResponseBody",
    "ResponseHeader",
    "ResponseKind",
    "ResponseMessage",
    "SignatureWrappingError",
    "Signer",
    "UpdateFirmware",
    "UpdatePPMIDFirmware",
    "Verified",
    "build_request",
    "build_response",
    "element_path",
    "load_certificate",
    "load_private_key",
    "load_schema",
    "parse",
    "read_document",
    "read_request",
    "read_response",
    "response_kind",
    "sign",
    "sign_request",
    "sign_response",
    "verify",
]


@dataclass(frozen=True)
class Document:
    """One DUIS document read from outside: its typed message and how it was checked."""

    message: Request | Response
    signer: x509.Certificate | None  # None: signature not checked (no certificates given)
    schema_checked: bool


def read_document(data: bytes, *, schema: DuisSchema | None = None,
                  certificates: Sequence[x509.Certificate] | None = None,
                  limits: DuisLimits | None = None) -> Document:
    """Parse safely, validate against ``schema``, verify against ``certificates`` (a document
    without a signature is then refused), and read strictly what was signed."""
    root: Any = parse(data, limits)
    if schema is not None:
        schema.validate(root)
    signer = None
    if certificates is not None:
        verified = verify(data, certificates, limits=limits, root=root)
        root, signer = verified.root, verified.signer
    message: Request | Response = read_request(root) if root.tag.endswith("}Request") else read_response(root)
    return Document(message, signer, schema is not None)


def sign_request(request: Request, signer: Signer) -> bytes:
    return sign(build_request(request), signer)


def sign_response(response: Response, signer: Signer) -> bytes:
    return sign(build_response(response), signer)
