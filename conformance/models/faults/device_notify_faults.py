"""The named faults of the reference device's Image Notify handling, periodic query and hardware
range check (SECMP7-NTFY): subclasses of :class:`~..device.OtaDevice` registered in
:data:`.device_faults.REGISTRY`, which imports this module before it checks that every name has
its subclass. Each docstring says what the device then does."""

from __future__ import annotations

from hanota.protocol import ota_image

from ..device import OtaDevice
from .device_faults import F, implements

__all__: list[str] = []


@implements(F.NOTIFY_IGNORES_MANUFACTURER)
class NotifyIgnoresManufacturer(OtaDevice):
    """answers a broadcast Image Notify that names another manufacturer code"""

    def _notify_manufacturer_ok(self, code: int | None) -> bool:
        return True


@implements(F.NOTIFY_IGNORES_IMAGE_TYPE)
class NotifyIgnoresImageType(OtaDevice):
    """answers a broadcast Image Notify that names another image type"""

    def _notify_image_type_ok(self, image_type: int | None) -> bool:
        return True


@implements(F.NOTIFY_NO_WILDCARD)
class NotifyNoWildcard(OtaDevice):
    """takes the wildcard image type (0xFFFF) and file version (0xFFFFFFFF) of a broadcast Image
    Notify as another device's, and ignores the notify"""

    def _notify_image_type_ok(self, image_type: int | None) -> bool:
        return image_type == self.image_type

    def _notify_version_ok(self, version: int | None) -> bool:
        return version != 0xFFFF_FFFF and super()._notify_version_ok(version)


@implements(F.NOTIFY_SAME_VERSION)
class NotifySameVersion(OtaDevice):
    """answers a broadcast Image Notify of payload type 3 that names the version it runs"""

    def _notify_version_ok(self, version: int | None) -> bool:
        return True


@implements(F.NOTIFY_ONLY_NEWER)
class NotifyOnlyNewer(OtaDevice):
    """ignores a broadcast Image Notify of payload type 3 that names a lower version than it runs
    (the standard lets a server ask for a downgrade that way)"""

    def _notify_version_ok(self, version: int | None) -> bool:
        return version is not None and version > self.firmware_version \
            and super()._notify_version_ok(version)


@implements(F.IGNORE_QUERY_JITTER)
class IgnoreQueryJitter(OtaDevice):
    """answers every broadcast Image Notify meant for it, whatever its QueryJitter"""

    def _answers_notify(self, query_jitter: int, draw: int, *, broadcast: bool) -> bool:
        return True


@implements(F.NO_BROADCAST_NOTIFY)
class NoBroadcastNotify(OtaDevice):
    """never answers a broadcast Image Notify (only unicast ones)"""

    def _answers_notify(self, query_jitter: int, draw: int, *, broadcast: bool) -> bool:
        return not broadcast


@implements(F.JITTER_ON_UNICAST)
class JitterOnUnicast(OtaDevice):
    """answers a unicast Image Notify only when its draw is at most the QueryJitter, as for a
    broadcast one"""

    def _answers_notify(self, query_jitter: int, draw: int, *, broadcast: bool) -> bool:
        return draw <= query_jitter


@implements(F.SLOW_PERIODIC_QUERY)
class SlowPeriodicQuery(OtaDevice):
    """queries its server on its own only every second declared query interval"""

    def _query_interval_ms(self) -> int | None:
        interval = super()._query_interval_ms()
        return None if interval is None else 2 * interval


@implements(F.HARDWARE_RANGE_EXCLUSIVE)
class HardwareRangeExclusive(OtaDevice):
    """refuses an image whose minimum or maximum hardware version equals its own (reads the range
    as exclusive)"""

    def _hardware_refusal(self, h: ota_image.OtaHeader) -> str | None:
        if self.hardware_version in (getattr(h, "minimum_hardware_version", None),
                                     getattr(h, "maximum_hardware_version", None)):
            return f"image: hardware version {self.hardware_version} at the edge of the range"
        return super()._hardware_refusal(h)


@implements(F.HARDWARE_RANGE_WIDENED)
class HardwareRangeWidened(OtaDevice):
    """also installs an image whose hardware version range ends one below, or starts one above,
    its own"""

    def _hardware_refusal(self, h: ota_image.OtaHeader) -> str | None:
        low = getattr(h, "minimum_hardware_version", None)
        high = getattr(h, "maximum_hardware_version", None)
        if (low is not None and self.hardware_version < low - 1) or \
                (high is not None and self.hardware_version > high + 1):
            return super()._hardware_refusal(h)
        return None


@implements(F.REFUSE_WITHOUT_HARDWARE_RANGE)
class RefuseWithoutHardwareRange(OtaDevice):
    """refuses an image whose header carries no hardware version range"""

    def _hardware_refusal(self, h: ota_image.OtaHeader) -> str | None:
        if getattr(h, "minimum_hardware_version", None) is None:
            return "image: no hardware version range"
        return super()._hardware_refusal(h)


@implements(F.FILTER_UNICAST_NOTIFY)
class FilterUnicastNotify(OtaDevice):
    """examines the fields of a unicast Image Notify as of a broadcast one: leaves unanswered one
    that names the version it runs (a server's forced re-install) or another manufacturer"""

    def _examines_notify(self, *, broadcast: bool) -> bool:
        return True
