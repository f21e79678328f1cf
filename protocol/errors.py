"""The one error tree of the codec.

Every failure to decode or validate bytes raises a subclass of :class:`ProtocolError`
carrying the field path (``"header.total_image_size"``) and the byte offset where the
offending field starts. Nothing else (no ``construct``, ``struct`` or ``IndexError``)
ever escapes :func:`protocol.decode` or the validators built on it.

The Remote/Local split follows h11: :class:`DecodeError`, :class:`ValidationError` and
:class:`DeviceViolationError` describe bad input from outside; :class:`HarnessUsageError`
describes a mistake by the caller of this library.
"""

from __future__ import annotations

__all__ = [
    "DecodeError",
    "DeviceViolationError",
    "HarnessUsageError",
    "ImageHashMismatchError",
    "ProtocolError",
    "SignatureInvalidError",
    "SignatureMissingError",
    "SizeLimitError",
    "UnsignedDataError",
    "ValidationError",
]


class ProtocolError(Exception):
    """Base of every error the codec raises about bytes it was given."""

    def __init__(self, message: str, *, field: str = "", offset: int | None = None) -> None:
        self.message = message
        self.field = field
        self.offset = offset
        super().__init__(self.describe())

    def describe(self) -> str:
        """One line naming the field, the byte offset and what was wrong."""
        where = []
        if self.field:
            where.append(f"field {self.field}")
        if self.offset is not None:
            where.append(f"offset {self.offset} (0x{self.offset:x})")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class DecodeError(ProtocolError):
    """The bytes do not have the declared shape (truncated, wrong constant, trailing data)."""


class ValidationError(ProtocolError):
    """The bytes have the right shape but break a rule (inconsistent lengths, bad values)."""


class SizeLimitError(ValidationError):
    """A length is over a configured limit; raised before anything of that size is allocated."""


class ImageHashMismatchError(ValidationError):
    """The SHA-256 Manufacturer Image Hash does not match the image held."""


class SignatureMissingError(ValidationError):
    """A signature was required but the image carries none."""


class SignatureInvalidError(ValidationError):
    """A signature is present but does not verify against the given public key."""


class UnsignedDataError(SignatureInvalidError):
    """The image carries bytes its signature does not cover (a sub-element after the signature,
    a second signature): whatever they hold was not signed by the manufacturer."""


class DeviceViolationError(ProtocolError):
    """A peer (the device under test, a hub, a DCC) broke the protocol in what it sent."""


class HarnessUsageError(Exception):
    """The caller used this library wrongly (a local error, not a fault in any input)."""
