"""The DUIS vectors in the shared folder (../shared/vectors/duis from the project root)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT.parent / "shared" / "vectors" / "duis"
SCHEMA = VECTORS / "schema" / "DUIS Schema V5.4.xsd"
KEYS = VECTORS / "keys"
SUPPLIER_EUI = 0x90B3D51F30010000


def need_vectors() -> None:
    if not SCHEMA.is_file():
        pytest.skip(f"the DUIS vectors are not at {VECTORS} (shared folder absent)")


@pytest.fixture(scope="session")
def schema():
    need_vectors()
    from hanota.protocol.duis import load_schema

    return load_schema(SCHEMA)


@pytest.fixture(scope="session")
def supplier():
    need_vectors()
    from hanota.protocol.duis import Signer

    return Signer.load(KEYS / "xml-sign-90B3D51F30010000-ds.key", KEYS / "xml-sign-90B3D51F30010000-ds.pem")


@pytest.fixture(scope="session")
def supplier2():
    need_vectors()
    from hanota.protocol.duis import Signer

    return Signer.load(KEYS / "xml-sign-90B3D51F30020000-ds.key", KEYS / "xml-sign-90B3D51F30020000-ds.pem")


@pytest.fixture(scope="session")
def dsp_certs():
    need_vectors()
    from hanota.protocol.duis import load_certificate

    return {name: load_certificate(KEYS / f"{name}.pem")
            for name in ("dsp-xml-sign-90B3D51F30000002-ds-pre-1.4.1", "dsp-xml-sign-90B3D51F30000002-ds")}
