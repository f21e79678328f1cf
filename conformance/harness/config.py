"""What a run fixes for each of its scenarios: PICS, rules, seed, faults, PIXIT durations, targets.

:class:`RunConfig` is read by every part of the harness and changed by none; it resolves the
feature's durations and sizes against the run's PIXIT and builds the reference world.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

from hanota.protocol.errors import HarnessUsageError

from ..adapters import DutNotApplicableError
from ..models.clock import VirtualClock
from ..models.dcc import Rules
from ..models.faults.hub_faults import FAULTS as HUB_FAULTS
from ..models.premises import World
from ..params import PIXIT_DURATIONS, Duration, Size
from ..pics import REFERENCE_DCC_PIXIT, Pics
from ..signing import CommandSigner, KeySigner, declared_public_key, signer_for

__all__ = ["DEFAULT_PIXIT_DURATIONS", "RunConfig"]

#: The reference DCC's declared PIXIT durations: the reference world is built with them, and a
#: run against it judges by them (a DCC under test declares its own: conformance.pics.DccPixit).
DEFAULT_PIXIT_DURATIONS = dict(REFERENCE_DCC_PIXIT)


@dataclass(frozen=True)
class RunConfig:
    """The run's settings as one scenario sees them (see :class:`~.facade.Harness`)."""

    pics: Pics
    rules: Rules = "wg-2016"
    seed: int = 0
    side: str = "device"
    #: ``--hanota-dut``: "reference" or tcp://HOST:PORT
    dut_spec: str = "reference"
    device_faults: frozenset[str] = frozenset()
    dcc_faults: frozenset[str] = frozenset()
    hub_faults: frozenset[str] = frozenset()
    #: the PIXIT durations by name (the DCC's declaration over the reference DCC's)
    durations: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PIXIT_DURATIONS))
    #: the PIXIT durations the DCC declared (all, when none are given: the reference DCC's)
    declared_pixit: frozenset[str] = frozenset(DEFAULT_PIXIT_DURATIONS)
    #: ``--hanota-dcc URL``: the DCC-side scenarios run against that DCC test system
    dcc_url: str | None = None
    #: ``--duis-*`` options of a DUIS run (``dcc_url`` is ``duis+http(s)://...``)
    duis_options: dict[str, str | None] = field(default_factory=dict)
    #: the manufacturer's test key or signing command (None: the world's test key)
    signer: KeySigner | CommandSigner | None = None

    @classmethod
    def make(cls, *, pics: Pics, rules: str = "wg-2016", seed: int = 0, device_faults: Iterable[str] = (),
             dcc_faults: Iterable[str] = (), hub_faults: Iterable[str] = (), dut: str = "reference",
             side: str = "device", pixit: dict[str, int] | None = None, dcc: str | None = None,
             duis: dict[str, str | None] | None = None) -> RunConfig:
        unknown = set(hub_faults) - set(HUB_FAULTS)
        if unknown:
            raise HarnessUsageError(f"unknown hub faults: {', '.join(sorted(unknown))}")
        durations = dict(DEFAULT_PIXIT_DURATIONS, **(pixit or {}))
        return cls(pics=pics, rules=cast(Rules, rules), seed=seed, side=side, dut_spec=dut,
                   device_faults=frozenset(device_faults), dcc_faults=frozenset(dcc_faults),
                   hub_faults=frozenset(hub_faults), durations=durations,
                   declared_pixit=frozenset(durations if pixit is None else pixit), dcc_url=dcc,
                   duis_options=dict(duis or {}), signer=signer_for(pics))

    @property
    def max_image_bytes(self) -> int:
        return self.pics.max_image_bytes

    @property
    def supplied(self) -> bool:
        """The manufacturer's own signed images stand for the scenario's (no key to make them)."""
        return self.pics.newer_image is not None and self.signer is None

    @property
    def alert_service_level_ms(self) -> int:
        return self.durations["alert_service_level_ms"]

    @property
    def version_confirmation_delay_ms(self) -> int:
        return self.durations["version_confirmation_delay_ms"]

    @property
    def alert_stagger_interval_ms(self) -> int:
        return self.durations["alert_stagger_interval_ms"]

    @property
    def pixit_durations(self) -> dict[str, int]:
        return {"alert_service_level_ms": self.alert_service_level_ms,
                "version_confirmation_delay_ms": self.version_confirmation_delay_ms,
                "alert_stagger_interval_ms": self.alert_stagger_interval_ms}

    def ms(self, duration: Duration) -> int:
        """A feature's duration in ms; a PIXIT duration the DCC did not declare does not apply."""
        if duration.pixit is not None and duration.pixit not in self.declared_pixit:
            name = next((k for k, v in PIXIT_DURATIONS.items() if v == duration.pixit), str(duration))
            raise DutNotApplicableError(f"the DCC declares no figure for {name} (DCC PIXIT); the "
                                        "minutes set none, and the suite invents none")
        return duration.resolve(self.pixit_durations)

    def size_bytes(self, size: Size) -> int:
        """A feature's size in bytes, against the PICS size limit and image capacity."""
        if size.capacity and self.pics.image_capacity_bytes is None:
            raise DutNotApplicableError("the device declares no image capacity (PICS [pixit] "
                                        "image_capacity_bytes), so the scenarios sized by it do not apply")
        return size.resolve(self.max_image_bytes, self.pics.image_capacity_bytes)

    def new_world(self, clock: VirtualClock) -> World:
        """The reference world with the run's rules, seed, faults and PIXIT values; its devices
        and DCC know the declared public key, if any."""
        world = World(clock, rules=self.rules, seed=self.seed, dcc_faults=self.dcc_faults,
                      max_image_bytes=self.max_image_bytes, service_level_ms=self.alert_service_level_ms,
                      confirm_delay_ms=self.version_confirmation_delay_ms,
                      alert_stagger_interval_ms=self.alert_stagger_interval_ms)
        declared = declared_public_key(self.pics)
        if declared is not None:
            world.public_key = declared
        return world
