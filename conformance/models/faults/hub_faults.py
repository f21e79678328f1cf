"""The named faults of the reference Communications Hub (:class:`~..comms_hub.CommsHub`).

Each fault is a subclass of the reference hub that overrides the hook methods it needs; its
docstring says what the hub then does (docs/reference-models.md is made from it). Build a faulty
hub with ``hub_class(names)(clock, ...)``; an unknown name is a usage error naming the valid ones.
"""

from __future__ import annotations

import enum

from hanota.protocol import ota_commands as oc

from ..comms_hub import CommsHub
from ..hub_transfer import TargetInput, TargetState, TransferResponseCode, _Target
from . import Registry

__all__ = ["FAULTS", "REGISTRY", "HubFault", "faults_markdown", "hub_class"]


class HubFault(enum.StrEnum):
    """The hub's fault names (the values), in the order the table lists them."""

    SEND_MISPLACED_BLOCK = "send-misplaced-block"
    SEND_OVERSIZE_BLOCK = "send-oversize-block"
    NO_READBACK = "no-readback"
    DISCARD_AS_TRANSFER_FAILURE = "discard-as-transfer-failure"
    CS08_ANSWERS_STALE = "cs08-answers-stale"
    ALWAYS_ACTIVATED_8F8B = "8f8b-always-activated"
    SKIP_HASH_CHECK = "skip-hash-check"


F = HubFault
REGISTRY: Registry[HubFault, CommsHub] = Registry("hub", CommsHub, HubFault)
implements = REGISTRY.implements


@implements(F.SEND_MISPLACED_BLOCK)
class SendMisplacedBlock(CommsHub):
    """answers Image Block Requests with data from the next offset"""

    def _block_to_send(self, offset: int, size: int) -> tuple[int, int]:
        offset, size = super()._block_to_send(offset, size)
        return offset + 1, size


@implements(F.SEND_OVERSIZE_BLOCK)
class SendOversizeBlock(CommsHub):
    """sends one byte more than the device asked for"""

    def _block_to_send(self, offset: int, size: int) -> tuple[int, int]:
        offset, size = super()._block_to_send(offset, size)
        return offset, min(size + 1, oc.MAX_IMAGE_DATA)


@implements(F.NO_READBACK)
class NoReadback(CommsHub):
    """raises the version alert with the image's version without reading the device"""

    def _on_readback_timer(self, target: _Target) -> None:
        self._step(target, TargetInput.READBACK_TIMER, TargetState.DONE)
        self._version_alert(target, self._image_of(target).header.file_version)


@implements(F.DISCARD_AS_TRANSFER_FAILURE)
class DiscardAsTransferFailure(CommsHub):
    """reports an image it discarded as CCS08 File Transfer Failure (3), not Image Discarded (1)"""

    def _reported_code(self, code: TransferResponseCode) -> TransferResponseCode:
        if code is TransferResponseCode.IMAGE_DISCARDED:
            return TransferResponseCode.FILE_TRANSFER_FAILURE
        return code


@implements(F.CS08_ANSWERS_STALE)
class Cs08AnswersStale(CommsHub):
    """answers CS08 with responseCode 0 and the last version it knew, even when the device did not
    answer its read-back"""

    def _cs08_version(self, device: int, version: int | None) -> int | None:
        return version


@implements(F.ALWAYS_ACTIVATED_8F8B)
class AlwaysActivated8F8B(CommsHub):
    """sends 0x8F8B with activateImage 0 whatever version it read back"""

    def _activated(self, target: _Target, version: int, activated: bool | None) -> bool:
        return True


@implements(F.SKIP_HASH_CHECK)
class SkipHashCheck(CommsHub):
    """activates an HCALCS on CS06 whatever its Manufacturer Image hash"""

    def _hash_matches(self, target: _Target, image_hash: bytes) -> bool:
        return True


REGISTRY.complete()

#: fault name -> what the hub then does (the mutation table and the docs list them)
FAULTS: dict[str, str] = REGISTRY.descriptions()
hub_class = REGISTRY.model


def faults_markdown() -> str:
    """The hub's faults as Markdown (docs/reference-models.md is made from it)."""
    return REGISTRY.markdown("the hub then")
