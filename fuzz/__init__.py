"""Coverage-guided fuzz targets (atheris) for the codec's four hostile-input surfaces.

Each ``fuzz_<target>.py`` module exposes ``TestOneInput(data: bytes) -> None``: it feeds
``data`` to the code under test, treats a :class:`protocol.errors.ProtocolError` that obeys
the error contract as the expected refusal, and lets anything else escape (a crash). The
modules import atheris only when run as programs, so the regression tests need nothing
beyond the project's own dependencies. ``fuzz/README.md`` has the command that runs them.
"""
