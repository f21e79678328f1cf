"""The hypothesis rule-based state machine that plays the hub, and the run that drives it.

Each rule draws one *action* (what a hub may do, legal and hostile) and hands it to a
:class:`~conformance.explore.session.Session`; the session checks every invariant after it.
Hypothesis generates sequences of rules, and when one breaks an invariant shrinks it to the
fewest, simplest actions that still do. The shrunk actions are replayed once more on a fresh
session: that run's transcript is the counterexample shown and saved (``replay.py``).

Runs are deterministic for a virtual-time device: the hypothesis database is off, the seed is
given, every setting that steers generation is given (none comes from a loaded profile), the
constants hypothesis mixes into its draws are pinned (:func:`process_independent_generation`),
and every example starts from the device's factory state (RESET).
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky, FlakyFailure
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from hanota.protocol import ota_commands as oc

from ..adapters.base import ControlNotSupportedError, DutAdapter
from .images import IMAGE_NAMES, Catalogue
from .invariants import InvariantViolation
from .session import Action, Session

__all__ = ["ExploreConfig", "ExploreResult", "explore", "new_session"]

#: Steps per example (hypothesis's stateful_step_count).
STEPS = 30
_WHEN = st.sampled_from(["0", "wait", "5", "1", "60", "past"])
_FORM = st.sampled_from(["offset", "utc", "wildcard"])
_TIMES = st.sampled_from([1_000, 100, 5_000, 20_000, 60_000, 3_600_000])
#: Link outages: mostly long enough for a device to give up on its download (resume, OTA-005).
_OUTAGES = st.sampled_from([60_000, 20_000, 5_000, 1_000])
_BLOCK_ANSWERS = st.one_of(
    st.fixed_dictionaries({"with": st.just("block"), "size": st.integers(1, 255)}),
    st.fixed_dictionaries({"with": st.just("wait"), "delay_s": st.sampled_from([0, 1, 5, 30]),
                           "mbp_ms": st.sampled_from([0, 250, 1_000, 2_000])}),
    st.fixed_dictionaries({"with": st.just("abort")}),
    st.fixed_dictionaries({"with": st.just("misplaced"), "by": st.sampled_from([1, 16, 64])}),
    st.fixed_dictionaries({"with": st.just("oversize"), "extra": st.integers(1, 8)}),
    st.fixed_dictionaries({"with": st.just("other-image")}),
    st.fixed_dictionaries({"with": st.just("silence")}),
)


@dataclass
class ExploreConfig:
    """What an exploration run needs (the command line builds it)."""

    dut: DutAdapter
    catalogue: Catalogue
    capacity: int | None
    resume: bool = False
    settle_ms: int = 300
    max_wall_wait_ms: int = 600_000
    can_power_cycle: bool = False
    can_reset: bool = True


@dataclass
class ExploreResult:
    examples: int = 0
    steps: int = 0
    frames_checked: int = 0
    seconds: float = 0.0
    #: The example (counting from 1) in which the first counterexample showed, before shrinking.
    found_after: int | None = None
    violation: InvariantViolation | None = None
    actions: list[Action] = field(default_factory=list)
    session: Session | None = None
    #: The shrunk actions broke the same invariant again when replayed on a fresh session.
    reproduced: bool = False
    #: Every example's transcript (hub actions, device frames with their times and octets), in
    #: the order run, shrinking included: the same seed gives the same digest (docs/explore.md).
    transcript_digest: Any = field(default_factory=hashlib.sha256, repr=False)

    @property
    def digest(self) -> str:
        """The hex digest of every transcript so far (see ``transcript_digest``)."""
        return str(self.transcript_digest.hexdigest())


def new_session(config: ExploreConfig) -> Session:
    """A session on the device in its factory state (RESET, when the device offers it)."""
    if config.can_reset:
        try:
            config.dut.reset()
        except ControlNotSupportedError:
            config.can_reset = False
    return Session(config.dut, config.catalogue, capacity=config.capacity,
                   resume=config.resume, settle_ms=config.settle_ms,
                   max_wall_wait_ms=config.max_wall_wait_ms)


@contextlib.contextmanager
def process_independent_generation() -> Iterator[None]:
    """Make what a seed generates independent of what else the process has imported.

    Hypothesis draws a few per cent of its integers from a pool of constants it collects from
    the source of every *local* module imported so far (``hypothesis.internal.conjecture.
    providers``; this project's modules count, test files do not). A pytest session, a
    whole-suite run and ``hanota explore`` import different sets of modules, and a module
    imported during the run grows the pool, so the same seed generated different examples: a
    500-example run of seed 4 found a counterexample in one process and none in another. While
    exploring, that pool is empty (hypothesis's own fixed constants stay in use); on a
    hypothesis without it there is nothing to pin. tests/explore/test_determinism.py runs the same
    seed in two processes with different imports and hash seeds.
    """
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants
    except ImportError:  # a hypothesis before the local constants pool
        yield
        return
    collect = getattr(providers, "_get_local_constants", None)
    cache = getattr(providers, "CONSTANTS_CACHE", None)
    if collect is None or cache is None:
        yield
        return
    empty = Constants()
    cache.cache.clear()  # it holds pools filtered from the process's local constants
    providers._get_local_constants = lambda: empty
    try:
        yield
    finally:
        providers._get_local_constants = collect
        cache.cache.clear()


def _machine(config: ExploreConfig, result: ExploreResult, last: list[Session],
             wall: bool) -> type[RuleBasedStateMachine]:
    # the valid image half the time: most faults show on the way to an activation
    names = st.one_of(st.just("valid"), st.sampled_from(IMAGE_NAMES))
    times = st.sampled_from([100, 1_000, 2_000]) if wall else _TIMES
    outages = st.sampled_from([100, 1_000, 2_000]) if wall else _OUTAGES

    class HubMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.s = new_session(config)
            last[:] = [self.s]
            result.examples += 1

        def do(self, action: Action) -> None:
            result.steps += 1
            try:
                self.s.apply(action)
            except InvariantViolation:
                if result.found_after is None:
                    result.found_after = result.examples
                raise

        def teardown(self) -> None:
            result.frames_checked += self.s.checker.checked
            result.transcript_digest.update(
                "".join(e.line() + "\n" for e in self.s.transcript).encode() + b"\f")

        # ------------------------------------------------------------ the hub's moves
        @rule(image=names, when=_WHEN, form=_FORM)
        def serve(self, image: str, when: str, form: str) -> None:
            self.do({"do": "serve", "image": image, "when": when, "form": form})

        @rule(image=names, blocks=st.integers(0, 3), answers=st.lists(_BLOCK_ANSWERS, max_size=3),
              outage=st.sampled_from([0, 0, 60_000]))
        def start(self, image: str, blocks: int, answers: list[dict[str, Any]], outage: int) -> None:
            action: Action = {"do": "start", "image": image, "blocks": blocks, "answers": answers}
            if outage:
                action["outage"] = outage
            self.do(action)

        @rule(image=names, payload_type=st.integers(0, 3), jitter=st.sampled_from([100, 1, 50]),
              src=st.sampled_from(["hub", "other"]))
        def notify(self, image: str, payload_type: int, jitter: int, src: str) -> None:
            self.do({"do": "notify", "from": src, "payload_type": payload_type, "jitter": jitter,
                     "image": image})

        @rule(data=st.data())
        def answer(self, data: st.DataObject) -> None:
            """Answer the device's oldest request, as a hub may (or say nothing); with none
            pending, first wait (a while at most) for the device's next one."""
            if not self.s.pending:
                self.do({"do": "await"})
                if not self.s.pending:
                    return
            request = self.s.pending[0][1]
            if data.draw(st.integers(0, 7), label="silence") == 0:
                self.do({"do": "silence"})
            elif isinstance(request, oc.QueryNextImageRequest):
                if data.draw(st.booleans(), label="offer"):
                    self.do({"do": "answer-query", "with": "offer",
                             "image": data.draw(names, label="image")})
                else:
                    self.do({"do": "answer-query", "with": "no-image"})
            elif isinstance(request, oc.ImageBlockRequest):
                self.do({"do": "answer-block", **data.draw(_BLOCK_ANSWERS, label="answer")})
            else:
                self.do({"do": "answer-end", "when": data.draw(_WHEN, label="when"),
                         "form": data.draw(_FORM, label="form")})

        @rule(image=names, when=_WHEN, form=_FORM)
        def end_response(self, image: str, when: str, form: str) -> None:
            self.do({"do": "end-response", "image": image, "when": when, "form": form})

        @rule()
        def read(self) -> None:
            self.do({"do": "read"})

        @rule(command=st.sampled_from(["image-notify", "query-response", "block-response",
                                       "end-response", "read-attributes"]), cut=st.integers(1, 12))
        def malformed(self, command: str, cut: int) -> None:
            self.do({"do": "malformed", "command": command, "cut": cut})

        @rule(kind=st.sampled_from(["undefined-command", "manufacturer-cluster", "manufacturer-general"]),
              command_id=st.sampled_from([0x0A, 0x01, 0x08, 0x1F]))
        def unsupported(self, kind: str, command_id: int) -> None:
            action: dict[str, Any] = {"do": "unsupported", "kind": kind}
            if kind == "undefined-command":
                action["command_id"] = command_id
            self.do(action)

        @rule(command=st.sampled_from(["image-notify", "query-response", "end-response"]),
              extra=st.integers(1, 4))
        def trailing(self, command: str, extra: int) -> None:
            self.do({"do": "trailing", "command": command, "extra": extra})

        @rule(ms=times)
        def time_passes(self, ms: int) -> None:
            self.do({"do": "time", "ms": ms})

        @rule(ms=outages)
        def link_loss(self, ms: int) -> None:
            self.do({"do": "link-loss", "ms": ms})

        @precondition(lambda self: config.can_power_cycle)
        @rule()
        def power_cycle(self) -> None:
            self.do({"do": "power-cycle"})

    return HubMachine


def explore(config: ExploreConfig, *, seed_value: int = 0, examples: int | None = 100,
            seconds: float | None = None, steps: int = STEPS,
            progress: Callable[[str], None] | None = None, shrink: bool = True) -> ExploreResult:
    """Run the machine for ``examples`` examples (or batches until ``seconds`` have gone), stop
    at the first counterexample, shrink it (unless ``shrink`` is false) and replay it. Raises
    what the adapter raises when the device cannot be reached (DutDisconnectedError)."""
    result = ExploreResult()
    last: list[Session] = []
    wall = not config.dut.identity.virtual_time
    start = time.perf_counter()
    batch_seed = seed_value
    while True:
        batch = examples if seconds is None else 25
        machine = _machine(config, result, last, wall)
        seeded = seed(batch_seed)(machine)
        try:
            with process_independent_generation():
                run_state_machine_as_test(seeded, settings=settings(
                    max_examples=batch or 1, stateful_step_count=steps, deadline=None, database=None,
                    derandomize=False, verbosity=Verbosity.quiet, report_multiple_bugs=False,
                    phases=[Phase.generate, Phase.shrink] if shrink else [Phase.generate],
                    backend="hypothesis",
                    suppress_health_check=list(HealthCheck)))
        except (InvariantViolation, Flaky, FlakyFailure):
            # Flaky: a wall-time device did not do the same twice; the replay below says so
            result.actions = list(last[0].actions) if last else []
            break
        if progress is not None:
            progress(f"{result.examples} examples, no counterexample")
        if seconds is None or time.perf_counter() - start >= seconds:
            break
        batch_seed += 1
    result.seconds = time.perf_counter() - start
    if result.actions:
        result.violation, result.session = replay_actions(config, result.actions)
        result.reproduced = result.violation is not None
    return result


def replay_actions(config: ExploreConfig, actions: list[Action]) -> tuple[InvariantViolation | None, Session]:
    """Run ``actions`` on a fresh session; the violation they cause (None: none) and the session."""
    session = new_session(config)
    try:
        for action in actions:
            session.apply(action)
    except InvariantViolation as err:
        session.note(f"counterexample: {err}")
        return err, session
    return None, session

