"""``hanota serve-dcc --binding duis`` and ``hanota run --dcc duis+...``: usage errors in one line."""

from __future__ import annotations

import subprocess
import sys

from hanota.conformance.commands.run import pytest_args


def test_serve_dcc_duis_needs_its_configuration():
    proc = subprocess.run([sys.executable, "-m", "hanota", "serve-dcc", "--listen", "127.0.0.1:0",
                           "--binding", "duis"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("hanota serve-dcc: --binding duis needs --duis-pixit FILE (the DCC's key "
                                   "and certificate, the Suppliers' certificates)")


def test_run_passes_the_duis_options_to_the_plugin(tmp_path):
    import argparse

    from hanota.conformance.commands import run

    parser = argparse.ArgumentParser()
    run.add_arguments(parser)
    args = parser.parse_args(["--dcc", "duis+http://127.0.0.1:9/duis", "--duis-pixit", "p.toml",
                              "--duis-listen", "127.0.0.1:8700"])
    args.extra = []
    out = pytest_args(args, tmp_path)
    assert "--hanota-dcc=duis+http://127.0.0.1:9/duis" in out
    assert "--hanota-duis-pixit=p.toml" in out and "--hanota-duis-listen=127.0.0.1:8700" in out
