"""The image factory: the scenario's images by label, built, signed, altered and split.

``make_image`` signs a GBCS Upgrade Image (or a ZigBee OTA file) for the device under test with
the world's manufacturer test key (or the run's signer; or takes the manufacturer's supplied
images); ``alter_image`` applies one defect of features/README.md; ``address_image`` makes a
device-specific file; ``split_image`` cuts an image into fragments (``protocol.fragments``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
from typing import Any, cast

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from hanota.protocol import fragments as fr
from hanota.protocol import ota_image
from hanota.protocol.errors import HarnessUsageError
from hanota.protocol.ota_image import build_gbcs_image
from hanota.protocol.signatures import der_to_raw

from ..models.premises import deterministic_key, sign_deterministically
from ..params import Defect, DefectKind, Recipient, Relation, Size
from ..signing import CommandSigner, ImageUnavailableError, KeySigner, supplied_image
from .config import RunConfig
from .records import ImageInfo
from .world import Scene

__all__ = ["UNKNOWN_TAG", "ImageFactory", "Signer", "other_device_eui64"]

#: What signs an image: a P-256 private key, or the run's signer (which quacks like one).
Signer = ec.EllipticCurvePrivateKey | KeySigner | CommandSigner


class ImageFactory:
    """The scenario's images by label ("original": what the device runs at the start)."""

    def __init__(self, config: RunConfig, scene: Scene) -> None:
        self._config = config
        self._scene = scene
        self.images: dict[str, bytes] = {}
        self.image_versions: dict[str, int] = {}
        self.image_info: dict[str, ImageInfo] = {}
        self.fragments: dict[str, list[bytes]] = {}

    def record_original(self, file_version: int) -> None:
        """The device was paired: "original" names the version it runs."""
        self.image_versions["original"] = file_version

    def make_image(self, label: str, size: Size, relation: Relation, *, zigbee: bool = False) -> ImageInfo:
        """A signed image of ``size`` bytes in all: a GBCS Upgrade Image, or with ``zigbee`` a
        ZigBee OTA file (upgrade image sub-element, then the P-256 signature sub-element)."""
        dut = self._scene.dut
        if label in self.images:
            raise HarnessUsageError(f"image {label!r} is already defined in this scenario")
        if self._config.supplied:  # the manufacturer's own signed images stand for the scenario's
            data, version = supplied_image(self._config.pics, size, relation, zigbee=zigbee,
                                           taken=set(self.image_versions.values()))
            parsed = ota_image.parse_image(data, max_size=len(data))
            info = ImageInfo(data, parsed.header.manufacturer_code, parsed.header.image_type, version,
                             len(parsed.manufacturer_image))
            self._store(label, info)
            return info
        known = list(self.image_versions.values()) or [dut.file_version]
        version = {Relation.NEWER: max(known) + 1, Relation.SAME: dut.file_version,
                   Relation.OLDER: dut.file_version - 1}[relation]
        overhead = len(self._build(payload_size=1, file_version=version, zigbee=zigbee)) - 1
        payload = 0 if size.header_only else self._config.size_bytes(size) - overhead
        if payload < 0:
            raise HarnessUsageError(f"an image of {self._config.size_bytes(size)} bytes cannot hold its own "
                                    f"header and signature ({overhead} bytes)")
        data = self._build(payload_size=payload, file_version=version, zigbee=zigbee)
        info = ImageInfo(data, dut.manufacturer_code, dut.image_type, version, payload, zigbee=zigbee)
        self._store(label, info)
        return info

    def _build(self, *, payload_size: int, file_version: int, manufacturer_code: int | None = None,
               image_type: int | None = None, key: ec.EllipticCurvePrivateKey | None = None,
               signed: bool = True,
               hardware_versions: tuple[int, int] | None = None, zigbee: bool = False,
               destination: int | None = None) -> bytes:
        """An image for the device under test, signed (deterministically, RFC 6979) with the
        world's manufacturer test key; the payload is drawn from the seed. A GBCS Upgrade Image,
        or with ``zigbee`` a ZigBee OTA file; ``destination`` makes it a device-specific file."""
        world, dut = self._scene.world_(), self._scene.dut
        rng = random.Random(f"payload-{self._config.seed}-{dut.eui64}-{file_version}-{payload_size}")  # noqa: S311
        signer: Signer | None = (key or self._config.signer or world.manufacturer_key) if signed else None
        low, high = hardware_versions if hardware_versions is not None else (None, None)
        identity: dict[str, Any] = dict(
            manufacturer_code=dut.manufacturer_code if manufacturer_code is None else manufacturer_code,
            image_type=dut.image_type if image_type is None else image_type, file_version=file_version,
            minimum_hardware_version=low, maximum_hardware_version=high,
            upgrade_file_destination=destination)
        if zigbee:
            return _build_signed_zigbee(rng.randbytes(payload_size), signer, identity)
        image = build_gbcs_image(manufacturer_image=rng.randbytes(payload_size),
                                 private_key=world.manufacturer_key if signer else None, **identity)
        # a KeySigner or CommandSigner quacks like the key: only its sign() is called
        return sign_deterministically(image, cast(ec.EllipticCurvePrivateKey, signer)) if signer is not None \
            else image

    def _store(self, label: str, info: ImageInfo) -> None:
        self.images[label] = info.data
        self.image_versions[label] = info.file_version
        self.image_info[label] = info

    def version_of(self, label: str) -> int:
        """The file version of image ``label`` ("original": what the device ran at the start)."""
        try:
            return self.image_versions[label]
        except KeyError:
            raise HarnessUsageError(f"no image {label!r} in this scenario; known: "
                                    f"{', '.join(sorted(self.image_versions)) or 'none'}") from None

    def image(self, label: str) -> ImageInfo:
        try:
            return self.image_info[label]
        except KeyError:
            raise HarnessUsageError(f"no image {label!r} in this scenario; known: "
                                    f"{', '.join(sorted(self.image_info)) or 'none'}") from None

    def alter_image(self, label: str, defect: Defect) -> None:
        """Make image ``label`` defective as the feature says (after signing, where it says so)."""
        info, dut = self.image(label), self._scene.dut
        kind = defect.kind
        if kind is DefectKind.FRAGMENT_BYTE:
            parts = self.fragments.get(label)
            if parts is None or defect.fragment is None or defect.fragment > len(parts):
                raise HarnessUsageError(f"image {label!r} has no fragment {defect.fragment}")
            part = bytearray(parts[defect.fragment - 1])
            part[-1] ^= 0xFF  # the last byte of the fragment's slice of the whole image
            parts[defect.fragment - 1] = bytes(part)
            return
        if kind is DefectKind.FRAGMENT_FORGED_DIGEST:
            self.fragments[label] = self._forge_fragments(label, defect.fragment)
            return
        if kind in _FORGED_COUNTS:
            self.fragments[label] = self._forge_count(label, defect)
            return
        if self.fragments.get(label):
            raise HarnessUsageError("alter the image before splitting it into fragments")

        if kind in _SMUGGLING:
            self._store(label, dataclasses.replace(info, data=self._smuggle(info, kind)))
            return

        def remake(*, key: ec.EllipticCurvePrivateKey | None = None, signed: bool = True,
                   manufacturer_code: int | None = None, image_type: int | None = None,
                   hardware_versions: tuple[int, int] | None = info.hardware_versions) -> bytes:
            if self._config.supplied:  # every remade image needs the manufacturer's key ...
                if kind is DefectKind.SIGNATURE_OTHER_KEY and key is not None:  # ... but one by another key
                    return sign_deterministically(info.data, key)
                raise ImageUnavailableError(f"an image re-made so that {kind.value!r}", self._config.pics)
            return self._build(payload_size=info.payload_size, file_version=info.file_version,
                               zigbee=info.zigbee, destination=info.destination, key=key, signed=signed,
                               manufacturer_code=manufacturer_code, image_type=image_type,
                               hardware_versions=hardware_versions)

        data = bytearray(info.data)
        header_len = ota_image.parse_image(info.data, max_size=len(info.data)).header.header_length
        new = info
        if kind is DefectKind.PAYLOAD_BYTE:
            data[header_len + info.payload_size // 2] ^= 0x01
            new = dataclasses.replace(info, data=bytes(data))
        elif kind is DefectKind.LAST_PAYLOAD_BYTE:
            data[header_len + info.payload_size - 1] ^= 0x01
            new = dataclasses.replace(info, data=bytes(data))
        elif kind is DefectKind.SIGNATURE_MISSING:
            new = dataclasses.replace(info, data=remake(signed=False))
        elif kind is DefectKind.SIGNATURE_OTHER_KEY:
            other = deterministic_key(self._config.seed + 0x5EED)
            new = dataclasses.replace(info, data=remake(key=other))
        elif kind is DefectKind.SIGNATURE_TRUNCATED:
            new = dataclasses.replace(info, data=info.data[:-32])
        elif kind is DefectKind.OTHER_MANUFACTURER:
            code = dut.manufacturer_code ^ 0x0F0F
            new = dataclasses.replace(info, manufacturer_code=code,
                                      data=remake(manufacturer_code=code))
        elif kind in (DefectKind.OTHER_IMAGE_TYPE, DefectKind.RESERVED_IMAGE_TYPE):
            itype = defect.image_type if defect.image_type is not None else dut.image_type ^ 0x00F0
            new = dataclasses.replace(info, image_type=itype,
                                      data=remake(image_type=itype))
        elif kind is DefectKind.HARDWARE_ABSENT:
            new = dataclasses.replace(info, hardware_versions=None, data=remake(hardware_versions=None))
        else:
            hw = dut.hardware_version
            span = {DefectKind.HARDWARE_ABOVE: (hw + 1, hw + 5), DefectKind.HARDWARE_BELOW: (0, hw - 1),
                    DefectKind.HARDWARE_STARTS_AT: (hw, min(hw + 4, 0xFFFF)),
                    DefectKind.HARDWARE_ENDS_AT: (max(hw - 4, 0), hw)}[kind]
            if span[1] < span[0]:
                raise HarnessUsageError(f"no hardware version lies below the device's ({hw})")
            new = dataclasses.replace(info, hardware_versions=span, data=remake(hardware_versions=span))
        self._store(label, new)

    def _forge_fragments(self, label: str, number: int | None) -> list[bytes]:
        """Change the last byte of fragment ``number``'s slice and re-make every descriptor so the
        set is self-consistent (slice SHA-256 and whole-image digest forged to match): only the
        whole image's signature can tell."""
        parts = self.fragments.get(label)
        if parts is None or number is None or number > len(parts):
            raise HarnessUsageError(f"image {label!r} has no fragment {number}")
        parsed = [fr.parse_fragment(part, max_bytes=len(part), max_whole_bytes=len(self.image(label).data))
                  for part in parts]
        payloads = [bytearray(f.payload) for f in parsed]
        payloads[number - 1][-1] ^= 0xFF
        slice_digests = [hashlib.sha256(payload).digest() for payload in payloads]
        offsets = [f.descriptor.fragment_offset for f in parsed]
        root = fr.whole_digest(digest for _, digest in sorted(zip(offsets, slice_digests, strict=True)))
        template = ota_image.parse_image(self.image(label).data,
                                         max_size=len(self.image(label).data)).header
        return [fr.build_fragment(dataclasses.replace(f.descriptor, whole_digest=root,
                                                      fragment_sha256=digest),
                                  bytes(payload), template=template)
                for f, payload, digest in zip(parsed, payloads, slice_digests, strict=True)]

    def address_image(self, label: str, recipient: Recipient) -> ImageInfo:
        """Make image ``label`` a device-specific file (header field control bit 1) whose Upgrade
        File Destination names the device under test or another device, signed as a whole by the
        manufacturer: only the destination differs from the file any device may take."""
        info, dut = self.image(label), self._scene.dut
        if self.fragments.get(label):
            raise HarnessUsageError("make the image device-specific before splitting it into fragments")
        destination = dut.eui64 if recipient is Recipient.DEVICE else other_device_eui64(dut.eui64)
        if self._config.supplied:
            raise ImageUnavailableError("a device-specific file signed by the manufacturer",
                                        self._config.pics)
        new = dataclasses.replace(info, destination=destination, data=self._build(
            payload_size=info.payload_size, file_version=info.file_version, zigbee=info.zigbee,
            hardware_versions=info.hardware_versions, destination=destination))
        self._store(label, new)
        return new

    def specific_file(self, label: str, size: int, image_type: int) -> ImageInfo:
        """A device-specific file ``label`` of about ``size`` bytes for the device under test: image
        type ``image_type`` (0xFFC0-0xFFFE), Upgrade File Destination its EUI-64, a file version
        newer than any image of the scenario, signed by the manufacturer."""
        if self._config.supplied:
            raise ImageUnavailableError("a device-specific file signed by the manufacturer",
                                        self._config.pics)
        dut = self._scene.dut
        version = max([*self.image_versions.values(), dut.file_version]) + 1
        overhead = len(self._build(payload_size=1, file_version=version, image_type=image_type,
                                   destination=dut.eui64)) - 1
        payload = max(1, size - overhead)
        data = self._build(payload_size=payload, file_version=version, image_type=image_type,
                           destination=dut.eui64)
        info = ImageInfo(data, dut.manufacturer_code, image_type, version, payload, destination=dut.eui64)
        self._store(label, info)
        return info

    def _smuggle(self, info: ImageInfo, kind: DefectKind) -> bytes:
        """Image ``info`` with bytes its signature does not cover (docs/hostile-inputs.md). The
        header's total image size stays as signed unless the defect says it counts them; the hub
        serves the whole file either way (its Query Next Image Response gives the file's size)."""
        data = info.data
        rng = random.Random(f"smuggled-{self._config.seed}-{info.file_version}")  # noqa: S311
        code = rng.randbytes(_SMUGGLED_BYTES)  # stands for code the manufacturer never signed
        if kind is DefectKind.BYTES_AFTER_SIGNATURE:
            return data + code
        if kind is DefectKind.BYTES_AFTER_SIGNATURE_COUNTED:
            return _count_in_total(data + code)
        if not info.zigbee:
            raise HarnessUsageError(f"{kind.value!r} needs a ZigBee OTA image (sub-elements); "
                                    "this one is a GBCS Upgrade Image")
        parsed = ota_image.parse_image(data, max_size=len(data))
        signature = parsed.sub_elements[-1]
        signature_element = data[signature.offset:]
        if kind is DefectKind.UPGRADE_ELEMENT_AFTER_SIGNATURE:
            return data + _element(ota_image.SubElementTag.UPGRADE_IMAGE, code)
        if kind is DefectKind.UPGRADE_ELEMENT_AFTER_SIGNATURE_COUNTED:
            return _count_in_total(data + _element(ota_image.SubElementTag.UPGRADE_IMAGE, code))
        if kind is DefectKind.UNKNOWN_ELEMENT_AFTER_SIGNATURE:
            return data + _element(UNKNOWN_TAG, code)
        if kind is DefectKind.SIGNATURE_COPY_AFTER_UPGRADE_ELEMENT:
            return data + _element(ota_image.SubElementTag.UPGRADE_IMAGE, code) + signature_element
        # SIGNATURE_FIRST: the same elements, the signature moved in front of the upgrade image
        first = parsed.sub_elements[0].offset
        return data[:first] + signature_element + data[first:signature.offset]

    def _forge_count(self, label: str, defect: Defect) -> list[bytes]:
        """The fragments of ``label`` with forged fragment counts: each fragment is parsed and
        rebuilt from its own descriptor with only the count replaced (its slice and every other
        field, per-fragment check included, carried through as the library made them)."""
        parts = self.fragments.get(label)
        if parts is None:
            raise HarnessUsageError(f"image {label!r} has not been split into fragments")
        if defect.fragment is not None and defect.fragment > len(parts):
            raise HarnessUsageError(f"image {label!r} has no fragment {defect.fragment}")
        whole = len(self.image(label).data)
        out = []
        for number, part in enumerate(parts, start=1):
            parsed = fr.parse_fragment(part, max_bytes=len(part), max_whole_bytes=whole)
            desc = parsed.descriptor
            count = desc.fragment_count
            if defect.kind is DefectKind.COUNT_ONE_FEWER:
                count -= 1
            elif defect.kind is DefectKind.COUNT_ONE_MORE or number == defect.fragment:
                count += 1
            if count < 1:
                raise HarnessUsageError(f"image {label!r} has one fragment: no count is one fewer")
            out.append(fr.build_fragment(dataclasses.replace(desc, fragment_count=count),
                                         bytes(parsed.payload), template=parsed.header))
        return out

    def split_image(self, label: str, count: int) -> list[bytes]:
        """Cut image ``label`` into exactly ``count`` fragments, each within the size limit."""
        data = self.image(label).data
        header_len = ota_image.parse_image(data, max_size=len(data)).header.header_length
        room = -(-len(data) // count)
        max_bytes = header_len + 2 * 6 + fr.DESCRIPTOR_SIZE + room
        if max_bytes > self._config.max_image_bytes:
            raise HarnessUsageError(f"{count} fragments of image {label!r} ({len(data)} bytes) would "
                                    f"each be over the size limit ({self._config.max_image_bytes} bytes)")
        parts = fr.split_image(data, max_bytes=max_bytes, max_whole_bytes=max(len(data), 1))
        if len(parts) != count:
            raise HarnessUsageError(f"image {label!r} splits into {len(parts)} fragments, not {count}")
        self.fragments[label] = parts
        return parts


#: Bytes of "code" a smuggling defect adds (docs/hostile-inputs.md).
_SMUGGLED_BYTES = 1024
#: A sub-element tag the device does not know: reserved by 095264 (0x0007-0xEFFF), neither a
#: standard tag nor the manufacturer-specific range.
UNKNOWN_TAG = 0x0100
_SMUGGLING = frozenset({
    DefectKind.BYTES_AFTER_SIGNATURE, DefectKind.BYTES_AFTER_SIGNATURE_COUNTED,
    DefectKind.UPGRADE_ELEMENT_AFTER_SIGNATURE, DefectKind.UPGRADE_ELEMENT_AFTER_SIGNATURE_COUNTED,
    DefectKind.UNKNOWN_ELEMENT_AFTER_SIGNATURE, DefectKind.SIGNATURE_COPY_AFTER_UPGRADE_ELEMENT,
    DefectKind.SIGNATURE_FIRST})
_FORGED_COUNTS = frozenset({DefectKind.COUNT_ONE_FEWER, DefectKind.COUNT_ONE_MORE,
                            DefectKind.COUNT_DIFFERS})



def other_device_eui64(eui64: int) -> int:
    """The EUI-64 a file "for another device" names: the device's own with its last octet + 1."""
    return (eui64 & ~0xFF) | ((eui64 + 1) & 0xFF)


def _element(tag: int, value: bytes) -> bytes:
    return bytes(ota_image.SUB_ELEMENT.build({"tag": tag, "value": value}))


def _count_in_total(data: bytes) -> bytes:
    """``data`` with its header's total image size made to count every byte (so the header no
    longer matches its signature)."""
    return ota_image.with_total_size(data, len(data))


def _build_signed_zigbee(payload: bytes, signer: Signer | None, identity: dict[str, Any]) -> bytes:
    """A ZigBee OTA file (upgrade image sub-element, then with ``signer`` the P-256 signature
    sub-element), signed deterministically (RFC 6979) over every byte before the signature's tag
    so that same-seed runs send the same bytes."""
    if signer is None:
        return ota_image.build_zigbee_image(sub_elements=[(ota_image.SubElementTag.UPGRADE_IMAGE, payload)],
                                            **identity)
    placeholder = ota_image.build_zigbee_image(
        sub_elements=[(ota_image.SubElementTag.UPGRADE_IMAGE, payload),
                      (ota_image.P256_SIGNATURE_TAG, bytes(ota_image.P256_SIGNATURE_SIZE))], **identity)
    signed = placeholder[:-(6 + ota_image.P256_SIGNATURE_SIZE)]
    der = signer.sign(signed, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    return placeholder[:-ota_image.P256_SIGNATURE_SIZE] + der_to_raw(der)

