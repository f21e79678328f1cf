"""The binding's OpenAPI document: valid OpenAPI 3.1, and it describes exactly what the server routes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

from hanota.conformance.dcc_http import openapi_text
from hanota.conformance.dcc_http.server import _URLS
from hanota.conformance.dcc_side import ALERT_KINDS, DISCARD_REASONS
from hanota.conformance.models.service_request import RejectReason, RequestVariant, SupplierRole

DOC: dict[str, Any] = yaml.safe_load(openapi_text())
SCHEMAS = DOC["components"]["schemas"]
ROOT = Path(__file__).resolve().parents[2]


def test_document_is_valid_openapi_3_1() -> None:
    assert DOC["openapi"].startswith("3.1")
    validate(DOC)


def _spec_operations() -> set[tuple[str, str]]:
    return {(path, method.upper()) for path, item in DOC["paths"].items()
            for method in item if method in ("get", "put", "post", "delete", "patch")}


def _server_operations() -> set[tuple[str, str]]:
    out = set()
    for rule in _URLS.iter_rules():
        path = rule.rule.replace("<", "{").replace(">", "}")
        out |= {(path, m) for m in rule.methods or () if m not in ("HEAD", "OPTIONS")}
    return out


def test_server_routes_exactly_the_documented_operations() -> None:
    assert _server_operations() == _spec_operations()


@pytest.mark.parametrize(("schema", "values"), [
    ("RejectReason", [r.value for r in RejectReason]),
    ("Variant", [v.value for v in RequestVariant]),
    ("SupplierRole", [r.value for r in SupplierRole]),
])
def test_enums_match_the_models(schema: str, values: list[str]) -> None:
    assert SCHEMAS[schema]["enum"] == values


def test_alert_kinds_and_discard_reasons_match_dcc_side() -> None:
    kinds = {*ALERT_KINDS, "transfer outcome", "activation outcome"}
    assert set(SCHEMAS["Alert"]["properties"]["kind"]["enum"]) == kinds
    reasons = DOC["paths"]["/hub-deliveries/discard"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]["properties"]["reason"]["enum"]
    assert tuple(reasons) == DISCARD_REASONS


def test_every_operation_is_in_the_user_docs() -> None:
    text = (ROOT / "docs" / "dcc-adapter.md").read_text(encoding="utf-8")
    missing = [f"{m} {p}" for p, m in sorted(_spec_operations()) if f"{m} {p}" not in text]
    assert not missing, f"docs/dcc-adapter.md does not describe: {missing}"
