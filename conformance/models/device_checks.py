"""The checks the reference device makes on an offered image and on the image it downloaded
(ZigBee 095264, the minutes' authenticity rules), each a small hook method that a named fault
overrides (:mod:`.faults.device_faults`). :class:`ImageChecks` is a part of
:class:`~.device.OtaDevice`."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec

from hanota.protocol import fragments, ota_image, signatures
from hanota.protocol.errors import ProtocolError

__all__ = ["ImageChecks", "Offer"]


@dataclass(frozen=True)
class Offer:
    """What a Query Next Image Response offers."""

    manufacturer_code: int
    image_type: int
    file_version: int
    image_size: int




class ImageChecks:
    """The image checks of :class:`~.device.OtaDevice` (which sets these attributes)."""

    eui64: int
    manufacturer_code: int
    image_type: int
    firmware_version: int
    hardware_version: int
    public_key: ec.EllipticCurvePublicKey | None
    max_image_bytes: int
    max_whole_image_bytes: int
    device_specific_files: bool
    expected_format: ota_image.ImageFormat | None
    _reassembler: fragments.Reassembler

    def _check_offer(self, offer: Offer) -> str | None:
        """The checks a Query Next Image Response allows before any byte is fetched."""
        refusal = self._identity_refusal("offer", offer.manufacturer_code, offer.image_type)
        if refusal is not None:
            return refusal
        if not self._is_newer(offer.file_version):
            return f"offer: file version 0x{offer.file_version:08x} is not newer than ours"
        if self._offer_too_big(offer.image_size):
            return f"offer: image of {offer.image_size} bytes is over the {self.max_image_bytes} limit"
        if offer.image_size == 0:
            return "offer: empty image"
        return None

    def _verify(self, data: bytes, offer: Offer, limit: int) -> str | None:
        try:
            image = ota_image.parse_image(data, max_size=self._size_limit(limit, data),
                                          expected_format=self.expected_format)
        except ProtocolError as err:
            return f"image: {err}"
        h = image.header
        if h.upgrade_file_destination is not None and not self.device_specific_files:
            return "image: a device-specific file, which this device does not take (device_specific_files)"
        for refusal in (self._content_refusal(image),
                        self._identity_refusal("image", h.manufacturer_code, h.image_type),
                        self._destination_refusal(h)):
            if refusal is not None:
                return refusal
        if h.file_version != offer.file_version:
            return "image: file version differs from the one offered"
        if not self._is_newer(h.file_version):
            return f"image: file version 0x{h.file_version:08x} is not newer than ours"
        return self._hardware_refusal(h) or self._signature_refusal(image)

    # --- the checks, each a hook a fault overrides
    def _size_limit(self, limit: int, data: bytes) -> int:
        """The largest image (or fragment) taken: ``limit``."""
        return limit

    def _offer_too_big(self, image_size: int) -> bool:
        """Whether an offered image is over the limit (exactly ``max_image_bytes`` is not)."""
        return image_size > self.max_image_bytes

    def _is_newer(self, file_version: int) -> bool:
        """Only a newer file version than the running one is taken (no downgrade, no reinstall)."""
        return file_version > self.firmware_version

    def _identity_refusal(self, what: str, manufacturer_code: int, image_type: int) -> str | None:
        """Only an image of this device's own manufacturer code and image type is taken."""
        if manufacturer_code != self.manufacturer_code:
            return f"{what}: manufacturer code 0x{manufacturer_code:04x} is not ours"
        if image_type != self.image_type:
            return f"{what}: image type 0x{image_type:04x} is not ours"
        return None

    def _content_refusal(self, image: ota_image.OtaImage) -> str | None:
        """A header alone, with an empty Manufacturer Image, is no firmware."""
        if not image.manufacturer_image:
            return "image: the Manufacturer Image is empty (a header alone is no firmware)"
        return None

    def _destination_refusal(self, h: ota_image.OtaHeader) -> str | None:
        """A device-specific file is installed only by the device its Upgrade File Destination names."""
        destination = h.upgrade_file_destination
        if destination is None or destination == self.eui64:
            return None
        at = ota_image.header_length_for(
            h.field_control & ota_image.FieldControl.SECURITY_CREDENTIAL_VERSION_PRESENT)
        return (f"image: field header.upgrade_file_destination, offset {at}: "
                f"a device-specific file for 0x{destination:016x}, not for this device "
                f"0x{self.eui64:016x}")

    def _hardware_refusal(self, h: ota_image.OtaHeader) -> str | None:
        """The image's hardware version range, when it has one, must include this device's."""
        low = getattr(h, "minimum_hardware_version", None)
        high = getattr(h, "maximum_hardware_version", None)
        if (low is not None and self.hardware_version < low) or \
                (high is not None and self.hardware_version > high):
            return f"image: hardware version {self.hardware_version} outside {low}..{high}"
        return None

    def _signature_refusal(self, image: ota_image.OtaImage) -> str | None:
        """The manufacturer's signature over the image must verify with the provisioned key."""
        if self.public_key is None:
            return "image: no manufacturer key provisioned, nothing can be verified"
        try:
            signatures.verify_image(image, self.public_key)
        except ProtocolError as err:
            return f"image: signature: {err}"
        return None

    def _take_fragment(self, data: bytes) -> tuple[bytes | None, str | None]:
        """Fragmentation (protocol.fragments): keep a fragment, return the whole image once all
        are here. Returns (image, None) for a whole image (or an unfragmented one), (None, None)
        when more fragments are needed, (None, reason) for a fragment that is refused."""
        limit = self._size_limit(self.max_image_bytes, data)
        try:
            fragments.parse_fragment(data, max_bytes=limit, max_whole_bytes=self.max_whole_image_bytes)
        except fragments.FragmentFormatError:
            return data, None  # not a fragment: an ordinary image
        except ProtocolError as err:
            return None, f"fragment: {err}"
        try:
            self._reassembler.add(data)
        except ProtocolError as err:
            return None, f"fragment: {err}"
        if not self._reassembler.complete:
            return None, None
        try:
            whole = self._reassembler.result()
        except ProtocolError as err:
            self._reassembler.reset()
            return None, f"reassembled image: {err}"
        self._reassembler.reset()
        return whole, None
