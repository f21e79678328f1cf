"""What crossed the WAN between the DCC and the hubs, as the DCC-side checks read it: the GBCS
frames (decoded by ``protocol.gbcs`` here, never taken from the DCC's own account) and the
fragments a hub stored.
"""

from __future__ import annotations

from hanota.protocol import gbcs
from hanota.protocol.errors import ProtocolError
from hanota.protocol.fragments import parse_fragment

from ..dcc_side import DccSide, GbcsNotObservableError, gbcs_frames_of
from ..models import gbcs_wan

__all__ = ["ccs08_alerts", "cs08_reads", "fragment_deliveries", "gbcs_decoded", "transfer_successes",
           "version_alerts", "wan_gbcs"]

Decoded = tuple[gbcs_wan.GbcsRecord, gbcs.GbcsFrame, gbcs.GbcsPayload]


def gbcs_decoded(side: DccSide) -> list[Decoded]:
    """Every GBCS frame the DCC exchanged with a hub, decoded (a frame that does not decode is
    shown in the evidence, and matches nothing)."""
    out = []
    for record in gbcs_frames_of(side):
        try:
            frame, payload = gbcs_wan.decode(record.data)
        except ProtocolError:
            continue
        out.append((record, frame, payload))
    return out


def wan_gbcs(side: DccSide) -> str:
    """The last GBCS frames, for a failure message (which must stay a failure where the side
    does not show them, e.g. over DUIS)."""
    try:
        records = gbcs_frames_of(side)
    except GbcsNotObservableError as err:
        return f"GBCS frames between the DCC and the hubs: not observable ({err})"
    lines = "\n".join(f"  {r.describe()}" for r in records[-20:]) or "  (none)"
    return f"GBCS frames between the DCC and the hubs ({len(records)}, the last 20):\n{lines}"


def ccs08_alerts(side: DccSide, device: int) -> list[gbcs.FirmwareTransferAlert]:
    """The CCS08 Firmware Transfer Alerts the hub sent about ``device``."""
    return [p for r, _, p in gbcs_decoded(side) if r.direction == "hub -> DCC"
            and isinstance(p, gbcs.FirmwareTransferAlert) and int.from_bytes(p.entity_id, "big") == device]


def transfer_successes(side: DccSide, device: int) -> list[int]:
    """When (virtual ms) a CCS08 Success about ``device`` crossed the WAN."""
    return [r.time_ms for r, _, p in gbcs_decoded(side) if isinstance(p, gbcs.FirmwareTransferAlert)
            and int.from_bytes(p.entity_id, "big") == device and int(p.response_code) == 0]


def cs08_reads(side: DccSide, device: int) -> list[gbcs.FirmwareVersionResponse]:
    """The hub's answers to a CS08 Read Firmware Version of ``device``, once the DCC asked."""
    frames = gbcs_decoded(side)
    asked = any(r.direction == "DCC -> hub" and isinstance(p, gbcs.FirmwareVersionCommand)
                and f.recipient_title == device for r, f, p in frames)
    return [p for r, f, p in frames if asked and r.direction == "hub -> DCC"
            and isinstance(p, gbcs.FirmwareVersionResponse) and f.originator_title == device]


def version_alerts(side: DccSide, device: int) -> list[tuple[gbcs_wan.GbcsRecord, gbcs.FirmwareVersionAlert]]:
    """The CS08 alerts 0x8F8B the hub sent about ``device``, with the record of each."""
    return [(r, p) for r, f, p in gbcs_decoded(side) if r.direction == "hub -> DCC"
            and isinstance(p, gbcs.FirmwareVersionAlert) and f.originator_title == device]


def fragment_deliveries(side: DccSide, request_ids: set[str]) -> set[tuple[int, int]]:
    """(fragment index, bytes) of each fragment of the requests that reached a hub whole."""
    out = set()
    for d in side.hub_deliveries():
        if d.request_id in request_ids and d.payload is not None and d.stored_by_hub:
            try:
                fragment = parse_fragment(d.payload, max_bytes=None)
            except ProtocolError:  # not a fragment: not counted
                continue
            out.add((fragment.descriptor.fragment_index, len(d.payload)))
    return out
