"""The values the parts of the harness pass each other: an image built for the scenario, and the
device under test as the steps know it."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DutHandle", "ImageInfo"]


@dataclass(frozen=True)
class ImageInfo:
    """An image built for the scenario: its bytes and the identity its header claims."""

    data: bytes
    manufacturer_code: int
    image_type: int
    file_version: int
    payload_size: int
    hardware_versions: tuple[int, int] | None = None
    #: a ZigBee OTA file signed with the reference profile's P-256 sub-element (else GBCS)
    zigbee: bool = False
    #: the Upgrade File Destination of a device-specific file (None: for any device)
    destination: int | None = None


@dataclass(frozen=True)
class DutHandle:
    """What the steps know of the device under test: its address and declared identity."""

    eui64: int
    kind: str
    manufacturer_code: int
    image_type: int
    file_version: int
    hardware_version: int
