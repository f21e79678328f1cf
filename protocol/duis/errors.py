"""The DUIS branch of the project's error tree (``protocol.errors``).

Every failure to read a DUIS document raises one of these, with ``field`` set to the element
path (``/sr:Request/sr:Body/sr:UpdatePPMIDFirmware/sr:DeviceIDList``) and the line in the
message where the parser knows it. They subclass the codec's own classes, so a caller catching
``ProtocolError`` (or ``SignatureInvalidError``, ``SizeLimitError``) catches these too.
"""

from __future__ import annotations

from hanota.protocol.errors import (
    DecodeError,
    ProtocolError,
    SignatureInvalidError,
    SignatureMissingError,
    SizeLimitError,
    ValidationError,
)

__all__ = [
    "DuisContentError",
    "DuisError",
    "DuisSchemaError",
    "DuisSignatureInvalidError",
    "DuisSignatureMissingError",
    "DuisSizeError",
    "DuisUnknownSignerError",
    "DuisXmlError",
    "HostileXmlError",
    "SignatureWrappingError",
]


class DuisError(ProtocolError):
    """Base of every DUIS failure; ``field`` is the element path."""


class DuisXmlError(DuisError, DecodeError):
    """The bytes are not well-formed XML."""


class HostileXmlError(DuisError, ValidationError):
    """A construct DUIS never uses and attacks rely on: a DTD, an entity, a processing instruction."""


class DuisSizeError(HostileXmlError, SizeLimitError):
    """The document is above the configured size limit (refused before it is parsed)."""


class DuisSchemaError(DuisError, ValidationError):
    """The document is not valid against the DUIS schema named by the user."""


class DuisContentError(DuisError, ValidationError):
    """The codec's own strict reading refused a value (independent of the schema)."""


class DuisSignatureMissingError(DuisError, SignatureMissingError):
    """A signed document was required and this one carries no ds:Signature."""


class DuisSignatureInvalidError(DuisError, SignatureInvalidError):
    """The XML signature does not verify (digest, value, or an algorithm DUIS does not use)."""


class DuisUnknownSignerError(DuisSignatureInvalidError):
    """The KeyInfo names a certificate (issuer and serial) that is none of those given."""


class SignatureWrappingError(DuisSignatureInvalidError):
    """The signature does not cover the whole document: a second signature, a signature away
    from the root, or a Reference to anything but the whole document (URI="")."""
