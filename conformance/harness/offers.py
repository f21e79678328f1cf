"""The scenario's offers: what the Given and When steps make the played hub (or another node) do.

The script of the played hub (:class:`~.hub.HubScript`) is set before the offer; ``offer``
starts it and delivers the frames in flight without moving time.
"""

from __future__ import annotations

from hanota.protocol.errors import HarnessUsageError
from hanota.protocol.ota_commands import ImageNotifyPayloadType
from hanota.protocol.zcl import Status

from ..models.comms_hub import HandHeldTerminal
from ..models.device import OtaDevice
from ..params import Duration, Size, UpgradeTime, UpgradeTimeKind
from .clock import ClockDriver
from .config import RunConfig
from .hub import EDGE_MARGIN_MS, Offer
from .images import ImageFactory
from .world import Scene

__all__ = ["Offers"]

_OTHER_NODE_EUI_LOW = 0xEF


class Offers:
    """The played hub's script and offers, and the other nodes that offer an image."""

    def __init__(self, config: RunConfig, scene: Scene, clock: ClockDriver, images: ImageFactory) -> None:
        self._config = config
        self._scene = scene
        self._clock = clock
        self._images = images

    def set_wait_for_data(self, count: int, wait: Duration) -> None:
        ms = self._config.ms(wait)
        if ms % 1000:
            raise HarnessUsageError(f"WAIT_FOR_DATA times are whole seconds, not {wait}")
        self._scene.player_().script.wait_for_data.extend([ms // 1000] * count)

    def append_octets(self, count: int) -> None:
        """From now on the played hub appends ``count`` octets to every frame it sends."""
        self._scene.player_().script.trailing_octets = bytes((0xA0 + i) & 0xFF for i in range(count))

    def answer_next(self, command_id: int, answer: Status | bytes) -> None:
        self._scene.player_().script.answers[command_id] = answer

    def notify_with(self, payload_type: int, query_jitter: int) -> None:
        """Image Notify of another payload type or query jitter than the GB default (3, 100)."""
        if not 0 <= payload_type <= 3 or not 1 <= query_jitter <= 100:
            raise HarnessUsageError(f"Image Notify takes payload type 0-3 and query jitter 1-100, "
                                    f"not {payload_type} and {query_jitter}")
        script = self._scene.player_().script
        script.notify_payload_type = ImageNotifyPayloadType(payload_type)
        script.query_jitter = query_jitter

    def set_upgrade_time(self, when: UpgradeTime) -> None:
        """What the hub answers Upgrade End Request SUCCESS with. "wait for a further command,
        sent D later" is the GB default's sequence with the activation D after the "wait"."""
        script = self._scene.player_().script
        if when.kind is UpgradeTimeKind.WAIT_THEN:
            assert when.delay is not None
            script.upgrade_time = None
            script.activation_after_ms = self._config.ms(when.delay)
        else:
            script.upgrade_time = when

    def short_blocks(self, shortfalls: tuple[int, ...]) -> None:
        """Each block falls short of the maximum asked for by the next of ``shortfalls``."""
        if not shortfalls or any(n < 0 for n in shortfalls):
            raise HarnessUsageError(f"block shortfalls are octets from 0, not {shortfalls}")
        self._scene.player_().script.block_shortfalls = shortfalls

    def answer_at_timeout_edge(self) -> None:
        """Every answer comes EDGE_MARGIN_MS before the device's declared response timeout runs out."""
        timeout = self._config.pics.timing.response_timeout_ms
        self._scene.player_().script.answer_delay_ms = max(0, timeout - EDGE_MARGIN_MS)

    def offer(self, label: str, order: tuple[int, ...] | None = None) -> Offer:
        """The hub notifies the device of image ``label`` (or its fragments in ``order``) and
        serves it as scripted. Frames in flight are delivered; time does not move."""
        info = self._images.image(label)
        if order is None:
            parts = [info.data]
        else:
            frags = self._images.fragments.get(label)
            if frags is None:
                raise HarnessUsageError(f"image {label!r} has not been split into fragments")
            if max(order) > len(frags):
                raise HarnessUsageError(f"order names fragment {max(order)}; image {label!r} has "
                                        f"{len(frags)}")
            parts = [frags[i - 1] for i in order]
        offer = Offer(label, parts, info)
        self._scene.player_().start(offer)
        self._clock.pump()
        return offer

    def offer_from_other_node(self, label: str, *, hand_held_terminal: bool) -> None:
        """A node that is not the device's hub (an installer's HHT, or any other node) offers
        image ``label``, serving it as an OTA server would."""
        world = self._scene.world_()
        data = self._images.image(label).data
        if hand_held_terminal:
            node = world.hand_held_terminal(data)
        else:
            eui = (self._scene.hub.eui64 & ~0xFF) | _OTHER_NODE_EUI_LOW
            node = HandHeldTerminal(self._scene.clock, eui64=eui, image=data)
            self._scene.network.attach(node)
        self._scene.extra_nodes.append(node)
        node.offer(self._scene.device_eui64)
        self._clock.pump()

    def further_upgrade_end_response(self, when: UpgradeTime) -> None:
        self._scene.player_().upgrade_end_response(when)
        self._clock.pump()

    def lose_link(self, outage: Duration, after: Size) -> None:
        script = self._scene.player_().script
        script.cut_after_bytes = self._config.size_bytes(after)
        script.outage_ms = self._config.ms(outage)

    def consumer_refuses(self) -> None:
        """The consumer declines the upgrade on the device (PICS consumer-refusal).

        A local act on the device: for the reference device its consumer prompt is set to
        refuse; a bridged device needs an operator or a bridge control for it.
        """
        if self._scene.adapter is not None:
            # The bridge's CONSUMER control; a device without it: ControlNotSupportedError, which
            # the plugin reports as not applicable.
            self._scene.adapter.set_consumer(False)
            return
        device = self._scene.device
        if not isinstance(device, OtaDevice):
            raise HarnessUsageError("the device under test has no consumer prompt the suite can set")
        device.consumer_accepts = False

