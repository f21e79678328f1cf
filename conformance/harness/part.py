"""What every part of the harness that acts on the scene and reads the frame log is built from."""

from __future__ import annotations

from .clock import ClockDriver
from .config import RunConfig
from .images import ImageFactory
from .observe import FrameLog
from .world import Scene

__all__ = ["HarnessPart"]


class HarnessPart:
    """A part of the harness: the run's settings, the scene, its clock, the frame log and the
    image factory, shared with the facade (``Harness``) that builds it."""

    def __init__(self, config: RunConfig, scene: Scene, clock: ClockDriver, log: FrameLog,
                 images: ImageFactory) -> None:
        self._config = config
        self._scene = scene
        self._clock = clock
        self._log = log
        self._images = images
