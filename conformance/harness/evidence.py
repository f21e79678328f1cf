"""Evidence: what an observer of the HAN saw, attached to every scenario's result by the plugin
(docs/report-format.md), with the entries other parts of the run add (the DCC side's).
"""

from __future__ import annotations

from hanota.protocol import ota_commands as oc
from hanota.protocol.errors import ProtocolError
from hanota.protocol.zcl import OTA_CLUSTER_ID

from ..models.han import HanFrame
from .describe import command_text
from .world import Evidence, Scene

__all__ = ["EvidenceLog"]

_EVIDENCE_HEAD = 50
_EVIDENCE_TAIL = 50


class EvidenceLog:
    """The scenario's evidence: the frames of the premises' HAN, then its sources' entries."""

    def __init__(self, scene: Scene) -> None:
        self._scene = scene

    def entries(self) -> list[Evidence]:
        """The frames exchanged on the HAN (the first 50 and last 50, numbered as in the log, with
        the fields of docs/report-format.md), then any other evidence (Service Requests, alerts)
        its sources add."""
        if self._scene.world is None:
            return []
        out: list[Evidence] = []
        # With a DCC test system the local world is only a twin: its HAN carried nothing.
        for premises in self._scene.world.premises[:1] if self._scene.remote_dcc is None else []:
            log = premises.network.log
            dropped = {id(f) for _, f in premises.network.dropped}
            picks = range(len(log)) if len(log) <= _EVIDENCE_HEAD + _EVIDENCE_TAIL else \
                list(range(_EVIDENCE_HEAD)) + list(range(len(log) - _EVIDENCE_TAIL, len(log)))
            previous = -1
            for index in picks:
                if index != previous + 1:
                    out.append({"kind": "gap", "decoded": f"... {index - previous - 1} frames left out ..."})
                previous = index
                time_ms, frame = log[index]
                command = _decode_any(frame)
                out.append({"kind": "frame", "n": index + 1, "time_ms": time_ms,
                            "src": f"{frame.src:016x}", "dst": f"{frame.dst:016x}",
                            "cluster": f"0x{frame.cluster_id:04x}", "hex": frame.payload.hex(" "),
                            "decoded": command_text(command)
                            + (" (lost: link down)" if id(frame) in dropped else "")})
            out.append({"kind": "summary", "frames": len(log), "dropped": len(premises.network.dropped),
                        "premises": len(self._scene.world.premises)})
        for source in self._scene.evidence_sources:
            out.extend(source())
        return out


def _decode_any(frame: HanFrame) -> oc.Command | str | None:
    if frame.cluster_id != OTA_CLUSTER_ID:
        return None
    try:
        return oc.decode_command(frame.payload)[1]
    except ProtocolError as err:
        return f"undecodable: {err}"
