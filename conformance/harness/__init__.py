"""The scenario harness: the reference world a scenario runs in, the hub the suite plays towards
the device under test, and the evidence an observer of the HAN sees (docs/harness.md).

One :class:`Harness` per scenario (the ``harness`` fixture of ``steps/common.py``), a facade over
parts that each do one job:

- :mod:`.config`: the run's settings (:class:`RunConfig`: PICS, rules, seed, faults, PIXIT);
- :mod:`.world`: world building (:class:`Scene`: premises, pairing, a bridged device, a DCC
  test system);
- :mod:`.images`: the image factory and its defects (:class:`ImageFactory`);
- :mod:`.hub` and :mod:`.offers`: the scripted hub (:class:`HubPlayer`, :class:`HubScript`,
  :class:`Offer`) and what the steps make it offer;
- :mod:`.clock`: time driving (:class:`ClockDriver`; virtual, in step with a bridged device, or
  wall time);
- :mod:`.observe` and :mod:`.checks`: frame observation (:class:`FrameLog`) and the checks of the
  Then-steps (:class:`DeviceObserver`);
- :mod:`.dcc` and :mod:`.dcc_wan`: the DCC side's acts and checks (:class:`DccObserver`);
- :mod:`.evidence`: the evidence attached to each result (:class:`EvidenceLog`).

**Observation goes through the HAN only.** The device under test is read with ZCL Read
Attributes (CurrentFileVersion, ImageUpgradeStatus) sent by the hub, and judged by the frames
it sends; never by the model's Python attributes. The same steps therefore work for a device
reached over the DUT bridge (:mod:`hanota.conformance.adapters`): :attr:`Harness.dut` is the seam.
"""

from .checks import DeviceObserver
from .clock import MAX_DOWNLOAD_MS, PROGRESS_EVERY_S, QUIET_MS, ClockDriver
from .config import DEFAULT_PIXIT_DURATIONS, RunConfig
from .dcc import DccObserver
from .evidence import EvidenceLog
from .facade import Harness
from .hub import HubPlayer, HubScript, Offer, OfferState
from .images import UNKNOWN_TAG, ImageFactory, other_device_eui64
from .observe import FrameLog, SeenFrame
from .offers import Offers
from .records import DutHandle, ImageInfo
from .world import Evidence, EvidenceSource, Scene

__all__ = [
    "DEFAULT_PIXIT_DURATIONS", "MAX_DOWNLOAD_MS", "PROGRESS_EVERY_S", "QUIET_MS", "UNKNOWN_TAG",
    "ClockDriver", "DccObserver", "DeviceObserver", "DutHandle", "Evidence", "EvidenceLog", "EvidenceSource",
    "FrameLog", "Harness", "HubPlayer", "HubScript", "ImageFactory", "ImageInfo", "Offer", "OfferState",
    "Offers", "RunConfig", "Scene", "SeenFrame", "other_device_eui64",
]
