"""The replay file: a counterexample's actions, saved so ``hanota explore --replay FILE`` can run
them again, and read back strictly (every action checked before any is run).

Format ``hanota-explore-replay/1``, JSON::

    {"format": "hanota-explore-replay/1", "invariant": "...", "message": "...",
     "device": {"dut": "reference", "faults": [...], "identity": {...}},
     "key_seed": 0, "image_capacity_bytes": 2048, "resume": true,
     "actions": [{"do": "start", "image": "valid", "blocks": 1, "answers": []}, ...],
     "transcript": ["...", ...]}

``transcript`` is for the reader; replay uses ``actions`` only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hanota.protocol.errors import HarnessUsageError, ProtocolError
from hanota.protocol.ota_messages import entry_by_id
from hanota.protocol.zcl import Direction, FrameType

from ..commands._io import read_bounded
from .images import IMAGE_NAMES
from .session import Action

__all__ = ["FORMAT", "ReplayFile", "load_replay", "validate_action"]

FORMAT = "hanota-explore-replay/1"
#: A replay file larger than this is refused before it is parsed.
MAX_REPLAY_BYTES = 4 * 1024 * 1024
MAX_ACTIONS = 10_000

_WHEN = {"0", "1", "5", "60", "wait", "past"}
_FORM = {"offset", "utc", "wildcard"}
_COMMANDS = {"image-notify", "query-response", "block-response", "end-response", "read-attributes"}
_BLOCK_WITH = {"block", "wait", "abort", "misplaced", "oversize", "other-image", "silence"}


def _int(lo: int, hi: int) -> Callable[[object], bool]:
    def check(value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi
    check.__doc__ = f"an integer {lo}..{hi}"
    return check


def _one_of(values: set[str] | tuple[str, ...]) -> Callable[[object], bool]:
    def check(value: object) -> bool:
        return value in values
    check.__doc__ = "one of " + ", ".join(sorted(values))
    return check


def _block_answer(value: object) -> bool:
    """a block answer (an object with 'with' and its fields)"""
    if not isinstance(value, dict):
        return False
    return _fields(value, _BLOCK_FIELDS.get(value.get("with"))) is None


def _answers(value: object) -> bool:
    """a list of at most 8 block answers"""
    return isinstance(value, list) and len(value) <= 8 and all(_block_answer(v) for v in value)


def _not_taken(value: object) -> bool:
    """an OTA command id 0..255 the client does not take (not 0x00, 0x02, 0x05, 0x07 or 0x09)"""
    if not _int(0, 0xFF)(value):
        return False
    assert isinstance(value, int)
    entry = entry_by_id(FrameType.CLUSTER_SPECIFIC, value)
    return entry is None or entry.direction is not Direction.SERVER_TO_CLIENT


_IMAGE = _one_of(IMAGE_NAMES)
_BLOCK_FIELDS: dict[Any, dict[str, Any]] = {
    "block": {"with": _one_of(_BLOCK_WITH), "size": _int(1, 255)},
    "wait": {"with": _one_of(_BLOCK_WITH), "delay_s": _int(0, 86_400), "mbp_ms": _int(0, 65_535)},
    "abort": {"with": _one_of(_BLOCK_WITH)},
    "misplaced": {"with": _one_of(_BLOCK_WITH), "by": _int(1, 65_535)},
    "oversize": {"with": _one_of(_BLOCK_WITH), "extra": _int(1, 255)},
    "other-image": {"with": _one_of(_BLOCK_WITH)},
    "silence": {"with": _one_of(_BLOCK_WITH)},
}
_TIME = _int(0, 86_400_000)
_ACTIONS: dict[str, dict[str, Any]] = {
    "serve": {"image": _IMAGE, "when": _one_of(_WHEN), "form": _one_of(_FORM)},
    "start": {"image": _IMAGE, "blocks": _int(0, 64), "answers": _answers, "outage?": _TIME},
    "notify": {"from": _one_of(("hub", "other")), "payload_type": _int(0, 3), "jitter": _int(1, 100),
               "image": _IMAGE},
    "await": {},
    "silence": {},
    "answer-query": {"with": _one_of(("offer", "no-image")), "image?": _IMAGE},
    "answer-end": {"when": _one_of(_WHEN), "form": _one_of(_FORM)},
    "end-response": {"image": _IMAGE, "when": _one_of(_WHEN), "form": _one_of(_FORM)},
    "read": {"attributes?": lambda v: isinstance(v, list) and all(_int(0, 0xFFFF)(x) for x in v)},
    "malformed": {"command": _one_of(_COMMANDS), "cut": _int(1, 64)},
    "trailing": {"command": _one_of(_COMMANDS), "extra": _int(1, 64)},
    "unsupported": {"kind": _one_of(("undefined-command", "manufacturer-cluster", "manufacturer-general")),
                    "command_id?": _not_taken},
    "time": {"ms": _TIME},
    "link-loss": {"ms": _TIME},
    "power-cycle": {},
}


def _fields(obj: dict[str, Any], spec: dict[str, Any] | None) -> str | None:
    """None when ``obj`` has exactly the fields of ``spec`` (``name?``: optional), else why not."""
    if spec is None:
        return f"'with' must be one of {', '.join(sorted(_BLOCK_WITH))}"
    names = {k.rstrip("?") for k in spec}
    for key in obj:
        if key not in names and key != "do":
            return f"unknown field {key!r}"
    for key, check in spec.items():
        name = key.rstrip("?")
        if name not in obj:
            if key.endswith("?"):
                continue
            return f"field {name!r} is missing"
        if not check(obj[name]):
            return f"field {name!r}: expected {check.__doc__ or 'another value'}, got {obj[name]!r}"
    return None


def validate_action(action: object, where: str) -> Action:
    """The action if it is well formed, else HarnessUsageError naming ``where`` and the field."""
    if not isinstance(action, dict):
        raise HarnessUsageError(f"{where}: an action is an object, got {type(action).__name__}")
    kind = action.get("do")
    spec = _ACTIONS.get(kind) if isinstance(kind, str) else None
    if spec is None:
        raise HarnessUsageError(f"{where}.do: unknown action {kind!r}; known: {', '.join(sorted(_ACTIONS))}")
    why = _fields(action, spec)
    if why is not None:
        raise HarnessUsageError(f"{where} ({kind}): {why}")
    if kind == "answer-query" and action["with"] == "offer" and "image" not in action:
        raise HarnessUsageError(f"{where} (answer-query): field 'image' is missing")
    if kind == "unsupported" and (action["kind"] == "undefined-command") != ("command_id" in action):
        raise HarnessUsageError(f"{where} (unsupported): field 'command_id' goes with kind "
                                "'undefined-command' only")
    return action


class ReplayFile:
    """A loaded replay file (see the module docstring)."""

    def __init__(self, doc: dict[str, Any], path: str) -> None:
        self.doc = doc
        self.path = path
        device: dict[str, Any] = doc.get("device") or {}
        self.faults = [str(f) for f in device.get("faults", []) or []]
        self.key_seed = int(doc.get("key_seed", 0))
        capacity = doc.get("image_capacity_bytes")
        self.capacity: int | None = None if capacity is None else int(capacity)
        self.resume = bool(doc.get("resume", False))
        self.actions: list[Action] = [validate_action(a, f"{path}: actions[{i}]")
                                      for i, a in enumerate(doc["actions"])]


def load_replay(path: str | Path) -> ReplayFile:
    """Read a replay file strictly; HarnessUsageError (one line, naming the element) if it is bad."""
    where = str(path)
    try:
        raw = read_bounded(path, MAX_REPLAY_BYTES, field="replay file")
    except OSError as err:
        raise HarnessUsageError(f"{where}: cannot read: {err.strerror}") from None
    except ProtocolError as err:
        raise HarnessUsageError(f"{where}: {err}") from None
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise HarnessUsageError(f"{where}: not valid JSON: {err}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise HarnessUsageError(f"{where}: format: expected {FORMAT!r}")
    actions = doc.get("actions")
    if not isinstance(actions, list) or len(actions) > MAX_ACTIONS:
        raise HarnessUsageError(f"{where}: actions: expected a list of at most {MAX_ACTIONS} actions")
    for key, lo, hi in (("key_seed", 0, 2**32), ("image_capacity_bytes", 1024, 16 * 1024 * 1024)):
        value = doc.get(key, lo)
        if key == "image_capacity_bytes" and value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise HarnessUsageError(f"{where}: {key}: expected an integer {lo}..{hi}, got {value!r}")
    device: Any = doc.get("device", {})
    if not isinstance(device, dict) or not isinstance(device.get("faults", []), list):
        raise HarnessUsageError(f"{where}: device.faults: expected a list of fault names")
    return ReplayFile(doc, where)


def save_replay(path: Path, *, invariant: str, message: str, dut: str, faults: list[str],
                identity: dict[str, Any], key_seed: int, capacity: int | None, resume: bool,
                actions: list[Action], transcript: list[str]) -> Path:
    doc = {"format": FORMAT, "invariant": invariant, "message": message,
           "device": {"dut": dut, "faults": faults, "identity": identity},
           "key_seed": key_seed, "image_capacity_bytes": capacity, "resume": resume,
           "actions": actions, "transcript": transcript}
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return path
