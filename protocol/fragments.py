"""Fragments: delivering an image above the size limit as several images within it.

Source: SECMP0007 working group minutes, section 1.2, first row ("mechanisms to support
fragmentation of images sent to PPMIDs and IHDs"); the layout is this project's reference
profile (no standard defines one), documented with a worked example in ``docs/fragments.md``.

A fragment is itself a valid ZigBee OTA Upgrade Image no larger than the limit, so a
Communications Hub that stores and serves one image needs no change::

    OTA header (identity of the whole image; header string "HANOTA-FRAGMENT i/n")
    sub-element 0xFFF0, length 94: fragment descriptor (below)
    sub-element 0x0000, length n:  bytes [offset, offset + n) of the whole image file

The whole image (ZigBee OTA file or GBCS Upgrade Image, header included) is cut into slices;
the descriptor tells a device where its slice goes and which whole image it belongs to. The
same two-element layout serves both whole-image formats (for a GBCS image the fragment's
Manufacturer Image starts with the descriptor element), so every fragment parses in any
ZigBee OTA tool. Fragments are not signed. Each descriptor carries the SHA-256 of its own slice
(checked on arrival, so a damaged fragment is refused alone) and the *whole-image digest*: the
SHA-256 of every slice's SHA-256 in offset order, a hash list that commits to every byte of the
whole image. So the slices are hashed once on each side, and the whole image needs no second
pass; for GBCS its signature is checked once the image is whole.

Reassembly is sans-I/O (:class:`Reassembler`); memory is bounded by ``max_whole_bytes``,
checked against the declared total before anything is kept.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import construct as c

from ._fastpath import struct_of
from ._fields import decode, encode
from .errors import DecodeError, HarnessUsageError, SizeLimitError, ValidationError
from .fragment_format import (
    DESCRIPTOR,
    DESCRIPTOR_FIELD_AT,
    DESCRIPTOR_MAGIC,
    DESCRIPTOR_SIZE,
    DESCRIPTOR_VERSION,
    FRAGMENT_DESCRIPTOR_TAG,
    FRAGMENT_HEADER_STRING_PREFIX,
    UPGRADE_IMAGE_TAG,
    WHOLE_FORMATS,
    ForeignFragmentError,
    FragmentBoundsError,
    FragmentConflictError,
    FragmentCorruptError,
    FragmentCountChangedError,
    FragmentDescriptor,
    FragmentFormatError,
    FragmentInconsistentError,
    FragmentMissingError,
    FragmentOverlapError,
    WholeImageDigestError,
)
from .limits import DEFAULT_MAX_IMAGE_BYTES, DEFAULT_MAX_WHOLE_IMAGE_BYTES, check_image_size
from .ota_image import OTA_HEADER, SUB_ELEMENT_HEADER, ImageFormat, OtaHeader, parse_header, parse_image
from .ota_layout import FIELD_CONTROL_KNOWN, SUB_ELEMENT_HEADER_SIZE, header_length_for
from .signatures import verify_image

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey

__all__ = [
    "DESCRIPTOR",
    "DESCRIPTOR_MAGIC",
    "DESCRIPTOR_SIZE",
    "DESCRIPTOR_VERSION",
    "FRAGMENT_DESCRIPTOR_TAG",
    "FRAGMENT_HEADER_STRING_PREFIX",
    "MAX_FRAGMENT_OVERHEAD",
    "STATE_HEADER",
    "UPGRADE_IMAGE_TAG",
    "ForeignFragmentError",
    "Fragment",
    "FragmentBoundsError",
    "FragmentConflictError",
    "FragmentCorruptError",
    "FragmentCountChangedError",
    "FragmentDescriptor",
    "FragmentFormatError",
    "FragmentInconsistentError",
    "FragmentMissingError",
    "FragmentOverlapError",
    "Reassembler",
    "WholeImageDigestError",
    "WHOLE_FORMATS",
    "build_fragment",
    "fragments_needed",
    "parse_fragment",
    "reassemble",
    "split_image",
    "whole_digest",
]

_ELEMENT_STRUCT = struct_of(SUB_ELEMENT_HEADER.subcons)
# Largest header (all optional fields) + descriptor element + upgrade-image element header.
_MAX_HEADER_LENGTH = header_length_for(FIELD_CONTROL_KNOWN)
MAX_FRAGMENT_OVERHEAD = (_MAX_HEADER_LENGTH + SUB_ELEMENT_HEADER_SIZE + DESCRIPTOR_SIZE
                         + SUB_ELEMENT_HEADER_SIZE)


@dataclass(frozen=True, slots=True)
class Fragment:
    """A parsed fragment: its own OTA header, its descriptor and its slice of the whole image."""

    header: OtaHeader
    descriptor: FragmentDescriptor
    #: A read-only view into the fragment file (no copy).
    payload: memoryview
    #: Where the descriptor value starts in the fragment file (for error offsets).
    descriptor_at: int
    #: Where the payload starts in the fragment file.
    payload_at: int


def _descriptor_error(cls: type[ValidationError], message: str, name: str, at: int) -> ValidationError:
    return cls(message, field=f"descriptor.{name}", offset=at + DESCRIPTOR_FIELD_AT[name])


def parse_fragment(data: bytes, *, max_bytes: int | None = DEFAULT_MAX_IMAGE_BYTES,
                   max_whole_bytes: int = DEFAULT_MAX_WHOLE_IMAGE_BYTES) -> Fragment:
    """Parse one fragment file strictly and check everything it can check on its own.

    ``max_bytes`` is the size rule for one distributed image (None: no per-fragment rule);
    ``max_whole_bytes`` caps the whole image a fragment may declare. Raises DecodeError /
    FragmentFormatError for bytes that are not a fragment, SizeLimitError, and
    FragmentInconsistentError, FragmentBoundsError or FragmentCorruptError.

    The header goes through the image codec's strict header check; the rest of the layout is
    fixed (exactly the descriptor element, then the upgrade-image element to the end of the
    file), so it is read in place and the payload is a view of ``data``, not a copy.
    """
    raw = bytes(data)
    if max_bytes is not None:
        check_image_size(len(raw), max_bytes, field="fragment", offset=max_bytes)
    header = parse_header(raw, max_whole_bytes + MAX_FRAGMENT_OVERHEAD)
    pos = header.header_length
    desc_length = _element_header(raw, pos, 0, FRAGMENT_DESCRIPTOR_TAG, "the fragment descriptor")
    if desc_length != DESCRIPTOR_SIZE:
        raise FragmentFormatError(
            f"the descriptor is {DESCRIPTOR_SIZE} bytes, the sub-element declares {desc_length}",
            field="sub_elements[0].length", offset=pos + 2)
    at = pos + SUB_ELEMENT_HEADER_SIZE
    if len(raw) - at < DESCRIPTOR_SIZE:
        raise FragmentFormatError(f"the file ends {len(raw) - at} bytes into the {DESCRIPTOR_SIZE}-byte "
                                  "descriptor", field="descriptor", offset=len(raw))
    try:
        desc = FragmentDescriptor.from_bytes(raw[at:at + DESCRIPTOR_SIZE], base_offset=at)
    except DecodeError as err:
        name = err.field if err.field.startswith("descriptor") else f"descriptor.{err.field}".rstrip(".")
        raise FragmentFormatError(err.message, field=name, offset=err.offset) from None
    _check_descriptor(desc, at, max_whole_bytes)
    pos = at + DESCRIPTOR_SIZE
    payload_length = _element_header(raw, pos, 1, UPGRADE_IMAGE_TAG, "the upgrade image")
    payload_at = pos + SUB_ELEMENT_HEADER_SIZE
    left = len(raw) - payload_at
    if payload_length != left:  # checked before the payload is touched
        raise FragmentFormatError(
            f"the upgrade-image sub-element declares {payload_length} bytes; a fragment ends with it, "
            f"and {left} bytes remain", field="sub_elements[1].length", offset=pos + 2)
    if desc.fragment_length != left:
        raise _descriptor_error(
            FragmentInconsistentError,
            f"declares {desc.fragment_length} bytes but the upgrade-image sub-element holds {left}",
            "fragment_length", at)
    for name in ("manufacturer_code", "image_type", "file_version"):
        if getattr(header, name) != getattr(desc, name):
            raise FragmentInconsistentError(
                f"the fragment's header says 0x{getattr(header, name):x}, its descriptor "
                f"0x{getattr(desc, name):x}", field=f"header.{name}", offset=_HEADER_FIELD_AT[name])
    payload = memoryview(raw)[payload_at:]
    digest = hashlib.sha256(payload).digest()
    if digest != desc.fragment_sha256:
        raise FragmentCorruptError(
            f"slice SHA-256 is {digest.hex()[:16]}..., the descriptor says "
            f"{desc.fragment_sha256.hex()[:16]}...",
            field="sub_elements[1].value", offset=payload_at)
    return Fragment(header=header, descriptor=desc, payload=payload, descriptor_at=at, payload_at=payload_at)


def _element_header(raw: bytes, pos: int, index: int, tag: int, what: str) -> int:
    """The length of the sub-element at ``pos``, which must carry ``tag``."""
    name = f"sub_elements[{index}]"
    if len(raw) - pos < SUB_ELEMENT_HEADER_SIZE:
        raise FragmentFormatError(
            f"not a fragment: sub-element {index} must be 0x{tag:04x} ({what}), but the file ends",
            field=name, offset=pos)
    found, length = _ELEMENT_STRUCT.unpack_from(raw, pos)  # two fixed-width integers: any bytes decode
    if found != tag:
        raise FragmentFormatError(
            f"not a fragment: sub-element {index} must be 0x{tag:04x} ({what}), found 0x{found:04x}",
            field=f"{name}.tag", offset=pos)
    return int(length)


_HEADER_FIELD_AT = {"manufacturer_code": 10, "image_type": 12, "file_version": 14}


def _check_descriptor(desc: FragmentDescriptor, at: int, max_whole_bytes: int) -> None:
    """The rules one descriptor must keep on its own (size cap first: nothing is allocated by it)."""
    if desc.total_size > max_whole_bytes:
        raise _descriptor_error(
            SizeLimitError, f"declares a {desc.total_size}-byte whole image, over the {max_whole_bytes}-byte "
            "limit of this reassembler", "total_size", at)
    if desc.fragment_count == 0:
        raise _descriptor_error(FragmentInconsistentError, "fragment count is 0", "fragment_count", at)
    if desc.fragment_index >= desc.fragment_count:
        raise _descriptor_error(
            FragmentInconsistentError,
            f"fragment index {desc.fragment_index} is not below the count {desc.fragment_count}",
            "fragment_index", at)
    if desc.fragment_length == 0:
        raise _descriptor_error(FragmentInconsistentError, "a fragment carries at least one byte",
                                "fragment_length", at)
    if desc.fragment_offset + desc.fragment_length > desc.total_size:
        raise _descriptor_error(
            FragmentBoundsError,
            f"bytes [{desc.fragment_offset}, {desc.fragment_offset + desc.fragment_length}) run past the "
            f"declared total of {desc.total_size}", "fragment_offset", at)


# --- splitting ---------------------------------------------------------------------------------


def _header_string(index: int, count: int) -> bytes:
    return f"{FRAGMENT_HEADER_STRING_PREFIX}{index + 1}/{count}".encode("ascii").ljust(32, b"\x00")


def split_image(image: bytes, *, max_bytes: int = DEFAULT_MAX_IMAGE_BYTES, fmt: ImageFormat | None = None,
                max_whole_bytes: int = DEFAULT_MAX_WHOLE_IMAGE_BYTES) -> list[bytes]:
    """Cut ``image`` into fragments of at most ``max_bytes`` each (list of fragment files).

    The image is parsed first (``fmt`` names its format; None decides as ``parse_image`` does).
    An image of at most ``max_bytes`` needs no fragments and is returned alone, unchanged.
    Raises ProtocolError for an image that does not parse, HarnessUsageError when ``max_bytes``
    leaves no room for a slice or the image needs more than 65535 fragments.
    """
    data = bytes(image)
    parsed = parse_image(data, max_size=max_whole_bytes, expected_format=fmt)
    if len(data) <= max_bytes:
        return [data]
    overhead = parsed.header.header_length + 2 * SUB_ELEMENT_HEADER_SIZE + DESCRIPTOR_SIZE
    room = max_bytes - overhead
    if room < 1:
        raise HarnessUsageError(f"max_bytes {max_bytes} leaves no room for a slice: a fragment's "
                                f"header and descriptor take {overhead} bytes")
    count = -(-len(data) // room)
    if count > 0xFFFF:
        raise HarnessUsageError(f"{count} fragments needed; the descriptor counts at most 65535")
    h = parsed.header
    view = memoryview(data)
    pieces = [view[offset:offset + room] for offset in range(0, len(data), room)]
    digests = [hashlib.sha256(piece).digest() for piece in pieces]  # the one pass over the image
    root = whole_digest(digests)
    out: list[bytes] = []
    for index, (piece, digest) in enumerate(zip(pieces, digests, strict=True)):
        desc = FragmentDescriptor(
            fragment_index=index, fragment_count=count, fragment_offset=index * room,
            fragment_length=len(piece), total_size=len(data), manufacturer_code=h.manufacturer_code,
            image_type=h.image_type, file_version=h.file_version, whole_format=parsed.format.value,
            fragment_sha256=digest, whole_digest=root)
        out.append(build_fragment(desc, piece, template=h))
    return out


def whole_digest(slice_digests: Iterable[bytes]) -> bytes:
    """The whole-image digest: SHA-256 of the slices' SHA-256 digests, in offset order.

    It commits to every byte of the whole image and to the order of the slices (a hash list),
    so neither side hashes the image twice: each slice is hashed once where it is cut and once
    where it arrives.
    """
    return hashlib.sha256(b"".join(slice_digests)).digest()


def build_fragment(descriptor: FragmentDescriptor, payload: bytes | memoryview, *,
                   template: OtaHeader | None = None) -> bytes:
    """One fragment file: header, descriptor element, upgrade-image element holding ``payload``.

    The header takes the whole image's identity from ``descriptor``; the stack version and the
    optional fields (hardware versions, destination, credential version) come from ``template``
    (the whole image's header) so a hub targets the fragment as it would the image. Nothing is
    checked here: test harnesses build broken fragments with it on purpose.
    """
    t = template
    header = {
        "manufacturer_code": descriptor.manufacturer_code, "image_type": descriptor.image_type,
        "file_version": descriptor.file_version,
        "zigbee_stack_version": t.zigbee_stack_version if t else 0x0002,
        "header_string": _header_string(descriptor.fragment_index, descriptor.fragment_count),
        "security_credential_version": t.security_credential_version if t else None,
        "upgrade_file_destination": t.upgrade_file_destination if t else None,
        "minimum_hardware_version": t.minimum_hardware_version if t else None,
        "maximum_hardware_version": t.maximum_hardware_version if t else None,
        "total_image_size": 0,
    }
    header_length = t.header_length if t else len(encode(OTA_HEADER, header, what="header"))
    header["total_image_size"] = header_length + 2 * SUB_ELEMENT_HEADER_SIZE + DESCRIPTOR_SIZE + len(payload)
    return b"".join((
        encode(OTA_HEADER, header, what="header"),
        _ELEMENT_STRUCT.pack(FRAGMENT_DESCRIPTOR_TAG, DESCRIPTOR_SIZE),
        descriptor.to_bytes(),
        _ELEMENT_STRUCT.pack(UPGRADE_IMAGE_TAG, len(payload)),
        payload))


# --- reassembly --------------------------------------------------------------------------------

_STATE_MAGIC = b"HORS"
_STATE_VERSION = 1
#: Resumable reassembly state: the descriptors and slices already verified, in offset order.
STATE_HEADER = c.Struct(
    "magic" / c.Const(_STATE_MAGIC),
    "state_version" / c.Const(_STATE_VERSION, c.Int8ul),
    "entry_count" / c.Int16ul,
)
_STATE_HEADER_SIZE = 7


class Reassembler:
    """Rebuild one whole image from its fragments, in any order, duplicates allowed (sans-I/O).

    ``add`` either keeps a fragment or raises a named error and changes nothing, so a device
    keeps what it has verified and carries on with its current firmware. Memory: the slices
    kept never overlap and lie within the declared total, itself at most ``max_whole_bytes``
    (checked before anything is kept); each is a view of its fragment file, which adds that
    file's header and descriptor (at most ``MAX_FRAGMENT_OVERHEAD`` bytes). ``state()`` /
    ``from_state()`` carry the verified fragments across an interruption.
    """

    def __init__(self, *, max_whole_bytes: int = DEFAULT_MAX_WHOLE_IMAGE_BYTES,
                 max_fragment_bytes: int | None = DEFAULT_MAX_IMAGE_BYTES,
                 public_key: EllipticCurvePublicKey | None = None) -> None:
        self.max_whole_bytes = max_whole_bytes
        self.max_fragment_bytes = max_fragment_bytes
        self.public_key = public_key
        self._first: FragmentDescriptor | None = None
        self._held: dict[int, tuple[FragmentDescriptor, bytes | memoryview]] = {}
        self._starts: list[int] = []  # sorted slice starts
        self._by_start: dict[int, FragmentDescriptor] = {}

    # -- what has been received --

    @property
    def descriptor(self) -> FragmentDescriptor | None:
        """The first descriptor kept: the whole image's identity, size, digest and count."""
        return self._first

    @property
    def expected_count(self) -> int | None:
        return None if self._first is None else self._first.fragment_count

    @property
    def received(self) -> list[int]:
        return sorted(self._held)

    @property
    def complete(self) -> bool:
        """Every fragment index has arrived (``result()`` still checks coverage and digest)."""
        return self._first is not None and len(self._held) == self._first.fragment_count

    def missing(self) -> list[int]:
        """Indices not yet received; empty before the first fragment (the count is unknown)."""
        if self._first is None:
            return []
        return [i for i in range(self._first.fragment_count) if i not in self._held]

    def reset(self) -> None:
        """Forget everything (after a digest or signature failure, start over)."""
        self._first = None
        self._held.clear()
        self._starts.clear()
        self._by_start.clear()

    # -- input --

    def add(self, fragment: bytes) -> None:
        """Verify one fragment file and keep it; an identical duplicate changes nothing."""
        frag = parse_fragment(fragment, max_bytes=self.max_fragment_bytes,
                              max_whole_bytes=self.max_whole_bytes)
        self._accept(frag.descriptor, frag.payload, frag.descriptor_at)

    def _accept(self, desc: FragmentDescriptor, payload: bytes | memoryview, at: int) -> None:
        """Check ``desc`` against what is held, then keep it. Raises with nothing changed."""
        first = self._first
        if first is not None:
            for name in ("whole_format", "manufacturer_code", "image_type", "file_version", "total_size",
                         "whole_digest"):
                if getattr(desc, name) != getattr(first, name):
                    raise _descriptor_error(
                        ForeignFragmentError,
                        f"belongs to another image: {name} {_show(getattr(desc, name))} differs from "
                        f"{_show(getattr(first, name))} of the image being reassembled", name, at)
            if desc.fragment_count != first.fragment_count:
                raise _descriptor_error(
                    FragmentCountChangedError,
                    f"fragment count {desc.fragment_count} differs from the {first.fragment_count} declared "
                    "by the fragments already held", "fragment_count", at)
        held = self._held.get(desc.fragment_index)
        if held is not None:
            if held[0] == desc and held[1] == payload:
                return  # identical duplicate: harmless
            name = "fragment_offset" if held[0].fragment_offset != desc.fragment_offset else (
                "fragment_length" if held[0].fragment_length != desc.fragment_length else "fragment_sha256")
            raise _descriptor_error(
                FragmentConflictError,
                f"fragment {desc.fragment_index} is already held with different content", name, at)
        start, end = desc.fragment_offset, desc.fragment_offset + desc.fragment_length
        pos = bisect.bisect_left(self._starts, start)
        neighbours = []
        if pos > 0:
            neighbours.append(self._by_start[self._starts[pos - 1]])
        if pos < len(self._starts):
            neighbours.append(self._by_start[self._starts[pos]])
        for other in neighbours:
            if other.fragment_offset < end and start < other.fragment_offset + other.fragment_length:
                raise _descriptor_error(
                    FragmentOverlapError,
                    f"bytes [{start}, {end}) overlap fragment {other.fragment_index}'s "
                    f"[{other.fragment_offset}, {other.fragment_offset + other.fragment_length})",
                    "fragment_offset", at)
        # All checks passed: keep it.
        if first is None:
            self._first = desc
        self._held[desc.fragment_index] = (desc, payload)
        self._starts.insert(pos, start)
        self._by_start[start] = desc

    # -- output --

    def result(self) -> bytes:
        """The whole image, after checking every byte is present, the whole-image digest and,
        with a public key, its signature. FragmentMissingError, WholeImageDigestError,
        SignatureMissingError or SignatureInvalidError otherwise (what is held is kept;
        ``reset()`` to start over)."""
        first = self._first
        if first is None:
            raise FragmentMissingError("no fragment received", field="fragments")
        missing = self.missing()
        if missing:
            shown = ", ".join(str(i) for i in missing[:10]) + (", ..." if len(missing) > 10 else "")
            raise FragmentMissingError(
                f"{len(missing)} of {first.fragment_count} fragments missing (indices {shown})",
                field="fragments")
        expect = 0
        for start in self._starts:
            if start != expect:
                raise FragmentMissingError(
                    f"bytes [{expect}, {start}) of the whole image are in no fragment",
                    field="whole_image", offset=expect)
            expect = start + self._by_start[start].fragment_length
        if expect != first.total_size:
            raise FragmentMissingError(
                f"bytes [{expect}, {first.total_size}) of the whole image are in no fragment",
                field="whole_image", offset=expect)
        # Every slice held was checked against its own SHA-256 on arrival: the digest of those
        # digests in offset order is the whole image's, with no second pass over its bytes.
        actual = whole_digest(self._by_start[s].fragment_sha256 for s in self._starts)
        if actual != first.whole_digest:
            raise WholeImageDigestError(
                f"the slices held give whole-image digest {actual.hex()}, the fragments declare "
                f"{first.whole_digest.hex()}", field="descriptor.whole_digest", offset=0)
        whole = b"".join(self._held[self._by_start[s].fragment_index][1] for s in self._starts)
        if self.public_key is not None:
            image = parse_image(whole, max_size=self.max_whole_bytes,
                                expected_format=ImageFormat(first.whole_format))
            verify_image(image, self.public_key)
        return whole

    # -- resuming --

    def state(self) -> bytes:
        """Bytes to store so reassembly can resume: header, then each held descriptor and slice."""
        head = encode(STATE_HEADER, {"entry_count": len(self._held)}, what="state")
        parts: list[bytes | memoryview] = [head]
        for start in self._starts:
            desc, payload = self._held[self._by_start[start].fragment_index]
            parts += [desc.to_bytes(), payload]
        return b"".join(parts)

    @classmethod
    def from_state(cls, state: bytes, *, max_whole_bytes: int = DEFAULT_MAX_WHOLE_IMAGE_BYTES,
                   max_fragment_bytes: int | None = DEFAULT_MAX_IMAGE_BYTES,
                   public_key: EllipticCurvePublicKey | None = None) -> Reassembler:
        """Resume from :meth:`state`; every entry is checked again (SHA-256, bounds, consistency)."""
        out = cls(max_whole_bytes=max_whole_bytes, max_fragment_bytes=max_fragment_bytes,
                  public_key=public_key)
        data = bytes(state)
        head = decode(STATE_HEADER, data[:_STATE_HEADER_SIZE], what="state")
        pos = _STATE_HEADER_SIZE
        for n in range(head.entry_count):
            name = f"state.entries[{n}]"
            if len(data) - pos < DESCRIPTOR_SIZE:
                raise DecodeError(f"state ends after {n} of {head.entry_count} entries",
                                  field=name, offset=pos)
            try:
                desc = FragmentDescriptor.from_bytes(data[pos:pos + DESCRIPTOR_SIZE], base_offset=pos)
            except DecodeError as err:
                raise DecodeError(err.message, field=f"{name}.{err.field}", offset=err.offset) from None
            _check_descriptor(desc, pos, max_whole_bytes)
            at = pos
            pos += DESCRIPTOR_SIZE
            if desc.fragment_length > len(data) - pos:  # checked before slicing
                raise DecodeError(f"entry declares {desc.fragment_length} bytes, {len(data) - pos} remain",
                                  field=f"{name}.payload", offset=pos)
            payload = data[pos:pos + desc.fragment_length]
            if hashlib.sha256(payload).digest() != desc.fragment_sha256:
                raise FragmentCorruptError("stored slice does not match its SHA-256", field=f"{name}.payload",
                                           offset=pos)
            pos += desc.fragment_length
            out._accept(desc, payload, at)
        if pos != len(data):
            raise DecodeError(f"{len(data) - pos} unexpected bytes after the last entry", field="state",
                              offset=pos)
        return out


def _show(value: object) -> str:
    if isinstance(value, bytes):
        return value.hex()[:16] + "..."
    if isinstance(value, int):
        return f"0x{value:x}"
    return str(value)


def reassemble(fragments: Iterable[bytes], *, max_whole_bytes: int = DEFAULT_MAX_WHOLE_IMAGE_BYTES,
               max_fragment_bytes: int | None = DEFAULT_MAX_IMAGE_BYTES,
               public_key: EllipticCurvePublicKey | None = None) -> bytes:
    """Rebuild and verify a whole image from its fragment files (see :class:`Reassembler`)."""
    r = Reassembler(max_whole_bytes=max_whole_bytes, max_fragment_bytes=max_fragment_bytes,
                    public_key=public_key)
    for fragment in fragments:
        r.add(fragment)
    return r.result()


def fragments_needed(size: int, *, max_bytes: int = DEFAULT_MAX_IMAGE_BYTES, header_length: int = 56) -> int:
    """How many fragments an image of ``size`` bytes becomes (1: it fits and is sent as it is)."""
    if size <= max_bytes:
        return 1
    room = max_bytes - header_length - 2 * SUB_ELEMENT_HEADER_SIZE - DESCRIPTOR_SIZE
    if room < 1:
        raise HarnessUsageError(f"max_bytes {max_bytes} leaves no room for a slice")
    return -(-size // room)

