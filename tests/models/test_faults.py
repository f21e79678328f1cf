"""The named faults of the reference models: one enum of names per model, one subclass per name,
checked when a model class is built, and each one a row of the mutation table."""

from __future__ import annotations

import pytest

from hanota.conformance.models.comms_hub import CommsHub
from hanota.conformance.models.dcc import Dcc
from hanota.conformance.models.device import OtaDevice
from hanota.conformance.models.faults import dcc_faults, device_faults, hub_faults
from hanota.protocol.errors import HarnessUsageError
from tests.mutants.table import MUTANTS, Mutant

LAYERS = {"device": (device_faults, OtaDevice), "hub": (hub_faults, CommsHub), "dcc": (dcc_faults, Dcc)}


@pytest.mark.parametrize("layer", LAYERS)
def test_each_fault_is_one_documented_subclass_of_its_model(layer):
    module, base = LAYERS[layer]
    registry = module.REGISTRY
    assert set(registry.variants) == set(registry.names)
    assert module.FAULTS == {f.value: module.FAULTS[f.value] for f in registry.names}
    assert all(module.FAULTS.values())
    assert registry.model(()) is base and base.faults == frozenset()
    for fault in registry.names:
        cls = registry.model([fault.value])
        assert cls is not base and issubclass(cls, base) and cls.faults == {fault.value}
    names = [f.value for f in registry.names][:2]
    both = registry.model(names)
    assert issubclass(both, base) and both.faults == set(names) and both is registry.model(names[::-1])


@pytest.mark.parametrize("layer", LAYERS)
def test_an_unknown_fault_is_a_usage_error_naming_it_and_the_valid_ones(layer):
    registry = LAYERS[layer][0].REGISTRY
    with pytest.raises(HarnessUsageError) as err:
        registry.model(["no-such-fault", next(iter(registry.names)).value])
    message = str(err.value)
    assert "no-such-fault" in message and all(f.value in message for f in registry.names)


def test_the_reference_logic_names_no_fault():
    from pathlib import Path
    models = Path(__file__).resolve().parents[2] / "conformance" / "models"
    every = {f.value for module, _ in LAYERS.values() for f in module.REGISTRY.names}
    for path in models.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        named = sorted(f for f in every if f'"{f}"' in text)
        assert not named, f"{path.name} names faults as strings: {named}"
        assert "self.faults" not in text and "dcc.faults" not in text, path.name


def test_the_mutation_table_has_a_row_for_every_fault_and_only_real_faults():
    rows = {(m.layer, m.fault) for m in MUTANTS}
    every = {(layer, f.value) for layer, (module, _) in LAYERS.items() for f in module.REGISTRY.names}
    assert every - rows == set(), "faults with no row in tests/mutants/table.py"
    assert rows - every == set()
    with pytest.raises(ValueError, match="no such device fault"):
        Mutant("device", "no-such-fault", ("SECMP7-OTA-001",))
