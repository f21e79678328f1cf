"""``python -m pytest ARGS`` without the start-up: pytest run in a process forked from a server
that has imported the suite's libraries once (multiprocessing's forkserver).

A fresh interpreter per scenario run spent about 0.4 s of CPU importing pytest, pytest-bdd,
construct, cryptography and the models before the first scenario; the table and the seeds start
some 200 runs. Each run is still a process of its own, forked from a server that has run nothing:
the step registry and the models' state start as in a fresh interpreter. Only modules pytest does
not rewrite are imported ahead (the plugin and the step definitions are imported by each run, so
their assertions are rewritten as in ``hanota run``).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

#: Libraries and hanota modules that pytest does not rewrite: imported once, in the server.
PRELOAD = ["pytest", "pytest_bdd", "construct", "cryptography.hazmat.primitives.asymmetric.ec",
           "yaml", "hanota.protocol.ota_commands", "hanota.protocol.ota_image",
           "hanota.conformance.harness", "hanota.conformance.catalogue", "hanota.conformance.verdicts"]

#: Where the runs cache bytecode: a folder of the temporary directory, never the checkout.
PYCACHE = str(Path(tempfile.gettempdir()) / "hanota-scenario-pycache")

_context: multiprocessing.context.ForkServerContext | None = None


def _server() -> multiprocessing.context.ForkServerContext:
    global _context
    if _context is None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        # The server, and every run forked from it, takes the environment it starts with.
        saved = {k: os.environ.get(k) for k in ("PYTHONHASHSEED", "PYTHONDONTWRITEBYTECODE")}
        os.environ.update(PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1")
        try:
            multiprocessing.forkserver.ensure_running()
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        _context = context
    return _context


def _child(args: Sequence[str], cwd: str, output: str) -> None:
    os.chdir(cwd)
    # The step modules' rewritten code is cached outside the checkout (pytest writes it
    # atomically), not rewritten and compiled again by each of some 200 runs.
    sys.dont_write_bytecode = False
    sys.pycache_prefix = PYCACHE
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    import pytest

    code = pytest.main(list(args))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(int(code))


def run_pytest(args: Sequence[str], *, cwd: Path, output: Path, timeout_s: float) -> int:
    """Run pytest with ``args`` in a forked process at ``cwd``, its output into ``output``;
    its exit code. Raises TimeoutError after ``timeout_s`` (the process is killed)."""
    process = _server().Process(target=_child, args=(list(args), str(cwd), str(output)))
    process.start()
    process.join(timeout_s)
    if process.is_alive():
        process.kill()
        process.join()
        raise TimeoutError(f"pytest {' '.join(args)} ran longer than {timeout_s} s")
    return int(process.exitcode or 0)
