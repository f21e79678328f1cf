"""The images the explorer's hub may offer, and what the specification says a device does with each.

Every image is built for the device under test (its manufacturer code, image type, running
version and EUI-64, from the bridge handshake) and signed deterministically (RFC 6979) with the
manufacturer test key of ``key_seed``, so two runs offer the very same bytes. ``defect`` names
the requirement that makes the device refuse it (None: a valid image); ``optional`` marks an
image a device may take or refuse (a PICS-optional feature it does not declare).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hanota.protocol.limits import DEFAULT_MAX_IMAGE_BYTES
from hanota.protocol.ota_image import build_gbcs_image

from ..adapters.base import DutIdentity
from ..models.premises import deterministic_key, sign_deterministically

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec

__all__ = ["IMAGE_NAMES", "Catalogue", "Image"]

#: Bytes of Manufacturer Image in the small images: a handful of blocks at 64 bytes a block.
PAYLOAD = 120

#: Every image name, in the order rules draw them (the valid one first: hypothesis shrinks
#: towards the start of a sampled list, so a counterexample names the plainest image it can).
IMAGE_NAMES = (
    "valid", "newer-still", "older", "same-version", "other-manufacturer", "other-image-type",
    "wrong-hardware", "tampered", "other-key", "empty", "trailing-bytes", "for-other-device",
    "for-this-device", "at-limit", "oversize", "reserved-type",
)
#: An image type ZigBee 095264 reserves for device-specific files (0xFFC0-0xFFFE): never firmware.
RESERVED_IMAGE_TYPE = 0xFFC1


@dataclass(frozen=True)
class Image:
    """One image the hub can offer: its bytes, the identity it is offered under, and why a
    device must refuse it (``defect``: a requirement and the reason) — None when it is valid."""

    name: str
    data: bytes
    manufacturer_code: int
    image_type: int
    file_version: int
    defect: tuple[str, str] | None = None
    #: True: the device may take it or refuse it (an optional feature it does not declare).
    optional: bool = False

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def key(self) -> tuple[int, int, int]:
        """What an OTA command names an image by."""
        return (self.manufacturer_code, self.image_type, self.file_version)


class Catalogue:
    """The images for one device, built on first use (the size-limit images can be large)."""

    def __init__(self, identity: DutIdentity, *, capacity: int | None, key_seed: int = 0,
                 device_specific_files: bool = False, key_matches: bool = True,
                 size_limit: int = DEFAULT_MAX_IMAGE_BYTES) -> None:
        self.identity = identity
        #: The image capacity the PICS declares (PIXIT image_capacity_bytes; SECMP7-IMG-003/004);
        #: None: not declared, and the at-limit and oversize images (sized by the distribution
        #: limit ``size_limit`` instead) may then be taken or refused.
        self.capacity = capacity
        self.size_limit = capacity if capacity is not None else size_limit
        self.key = deterministic_key(key_seed)
        self.rogue_key = deterministic_key(key_seed + 0x5EED)
        self.device_specific_files = device_specific_files
        #: False when the device's declared public key is not the test key: then no image the
        #: explorer signs is valid for it, and each is treated as badly signed.
        self.key_matches = key_matches
        self._built: dict[str, Image] = {}
        fw = identity.file_version
        self.versions = {  # every image its own version: blocks and ends name them apart
            "valid": fw + 1, "newer-still": fw + 2, "older": max(fw - 1, 0), "same-version": fw,
            "other-manufacturer": fw + 3, "other-image-type": fw + 4, "wrong-hardware": fw + 5,
            "tampered": fw + 6, "other-key": fw + 7, "empty": fw + 8, "trailing-bytes": fw + 9,
            "for-other-device": fw + 10, "for-this-device": fw + 11, "at-limit": fw + 12,
            "oversize": fw + 13, "reserved-type": fw + 14,
        }

    def __getitem__(self, name: str) -> Image:
        image = self._built.get(name)
        if image is None:
            image = self._built[name] = self._build(name)
        return image

    def by_key(self, key: tuple[int, int, int]) -> Image | None:
        """The image an OTA command names, if the hub has built it."""
        for image in self._built.values():
            if image.key == key:
                return image
        return None

    # ------------------------------------------------------------------ building
    def _gbcs(self, version: int, *, payload: int = PAYLOAD, key: ec.EllipticCurvePrivateKey | None = None,
              signed: bool = True,
              manufacturer_code: int | None = None, image_type: int | None = None,
              hardware: tuple[int, int] | None = None, destination: int | None = None) -> bytes:
        ident = self.identity
        rng = random.Random(f"explore-{ident.eui64}-{version}-{payload}")  # noqa: S311 - test bytes
        signer = (key or self.key) if signed else None
        data = build_gbcs_image(
            manufacturer_code=ident.manufacturer_code if manufacturer_code is None else manufacturer_code,
            image_type=ident.image_type if image_type is None else image_type,
            file_version=version, manufacturer_image=rng.randbytes(payload), private_key=signer,
            minimum_hardware_version=None if hardware is None else hardware[0],
            maximum_hardware_version=None if hardware is None else hardware[1],
            upgrade_file_destination=destination)
        return sign_deterministically(data, signer) if signer is not None else data

    def _sized(self, version: int, total: int) -> bytes:
        """A valid image of exactly ``total`` bytes."""
        overhead = len(self._gbcs(version, payload=1)) - 1
        return self._gbcs(version, payload=max(total - overhead, 1))

    def _build(self, name: str) -> Image:
        ident = self.identity
        version = self.versions[name]
        mfr, itype = ident.manufacturer_code, ident.image_type
        builders: dict[str, Callable[[], tuple[bytes, tuple[str, str] | None]]] = {
            "valid": lambda: (self._gbcs(version), None),
            "newer-still": lambda: (self._gbcs(version), None),
            "older": lambda: (self._gbcs(version), ("SECMP7-AUTH-005", "its file version is older")),
            "same-version": lambda: (self._gbcs(version),
                                     ("SECMP7-AUTH-005", "its file version is the one running")),
            "other-manufacturer": lambda: (self._gbcs(version, manufacturer_code=mfr ^ 0x5A5A),
                                           ("SECMP7-AUTH-003", "another manufacturer's image")),
            "other-image-type": lambda: (self._gbcs(version, image_type=itype ^ 0x0F0F),
                                         ("SECMP7-AUTH-003", "another image type")),
            "wrong-hardware": lambda: (self._gbcs(version, hardware=(ident.hardware_version + 1,
                                                                     ident.hardware_version + 2)),
                                       ("SECMP7-AUTH-004", "its hardware range excludes the device")),
            "tampered": lambda: (_flip(self._gbcs(version)),
                                 ("SECMP7-AUTH-001", "a byte was changed after signing")),
            "other-key": lambda: (self._gbcs(version, key=self.rogue_key),
                                  ("SECMP7-AUTH-002", "signed with another key")),
            "empty": lambda: (self._gbcs(version, payload=0),
                              ("SECMP7-IMG-005", "it carries no Manufacturer Image")),
            "trailing-bytes": lambda: (self._gbcs(version) + b"\x00" * 8,
                                       ("SECMP7-AUTH-007", "bytes after its signature")),
            "for-other-device": lambda: (self._gbcs(version, destination=ident.eui64 ^ 0xFF),
                                         ("SECMP7-AUTH-008", "a device-specific file for another device")),
            "for-this-device": lambda: (self._gbcs(version, destination=ident.eui64), None),
            "at-limit": lambda: (self._sized(version, self.size_limit), None),
            "oversize": lambda: (self._sized(version, self.size_limit + 1),
                                 ("SECMP7-IMG-004", "it is larger than the capacity declared")),
            "reserved-type": lambda: (self._gbcs(version, image_type=RESERVED_IMAGE_TYPE),
                                      ("SECMP7-XFER-002", "an image type reserved for device-specific "
                                                          "files, never firmware")),
        }
        data, defect = builders[name]()
        if name == "oversize" and self.capacity is None:
            defect = None
        if name in ("other-manufacturer", "other-image-type"):
            mfr, itype = (mfr ^ 0x5A5A, itype) if name == "other-manufacturer" else (mfr, itype ^ 0x0F0F)
        elif name == "reserved-type":
            itype = RESERVED_IMAGE_TYPE
        if defect is None and not self.key_matches:
            defect = ("SECMP7-AUTH-002", "signed with the test key, which the device does not hold")
        optional = (name == "for-this-device" and not self.device_specific_files) or \
            (name in ("at-limit", "oversize") and self.capacity is None)
        return Image(name, data, mfr, itype, version, defect, optional)


def _flip(data: bytes) -> bytes:
    """The image with one Manufacturer Image byte changed (the one before the 66-byte trailer)."""
    at = len(data) - 67
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]
