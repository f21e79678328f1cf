"""Connecting a scenario to a DCC system over DUIS (``--hanota-dcc duis+http(s)://HOST:PORT/PATH``).

The harness calls :func:`connect` where it would reset a JSON test system. Over the control
channel (when the DCC PIXIT declares one) it starts the scenario: ``POST /reset`` with the run's
rule set and seed only, the response address, then the scenario's premises. It never sends the
service level, the stagger or the size limit: those are the DCC's own declarations, which the
suite reads from its PIXIT and uses only to judge.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hanota.protocol.duis import load_schema
from hanota.protocol.errors import HarnessUsageError

from .client import DuisControlMissingError, DuisDccSide
from .config import load_config

if TYPE_CHECKING:
    from ..harness.world import Scene

__all__ = ["DuisOptions", "connect", "parse_listen", "split_url"]


class DuisOptions(dict[str, Any]):
    """``pixit`` (file), ``listen`` ("HOST:PORT"), ``schema`` (file, overrides the PIXIT's)."""


def split_url(url: str) -> str:
    """``duis+http://H:P/PATH`` -> ``http://H:P/PATH`` (None-safe check of the scheme)."""
    if not url.startswith(("duis+http://", "duis+https://")):
        raise HarnessUsageError(f"a DUIS endpoint is duis+http(s)://HOST:PORT/PATH, got {url!r}")
    return url.removeprefix("duis+")


def parse_listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise HarnessUsageError(f"--duis-listen: expected HOST:PORT, got {text!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def connect(scene: Scene, kind: str, url: str, options: Mapping[str, str | None]) -> DuisDccSide:
    """Start the scenario of ``scene`` on the DUIS system at ``url`` (its control channel builds
    the premises as the suite's twin has them)."""
    run = scene.config
    pixit = options.get("pixit")
    if not pixit:
        raise HarnessUsageError("a DUIS run needs the DCC PIXIT naming identities, keys and certificates "
                                "(--duis-pixit FILE; docs/dcc-duis.md)")
    config = load_config(pixit).with_overrides(schema=options.get("schema"), control=options.get("control"))
    if config.schema is None:
        raise HarnessUsageError("a DUIS run needs the DUIS schema (--duis-schema FILE, or schema in the "
                                "PIXIT)")
    side = DuisDccSide(split_url(url), config, load_schema(Path(config.schema)),
                       listen=parse_listen(options.get("listen") or "127.0.0.1:0"),
                       max_image_bytes=run.max_image_bytes, rules=run.rules)
    scene.closers.append(side.close)
    control = side.control
    if control is None:
        raise DuisControlMissingError("the DCC system declares no test-control channel (DCC PIXIT [dcc] "
                                      "control): the suite cannot build this scenario's premises on it")
    config_body: dict[str, Any] = {"rules": run.rules, "seed": run.seed}
    if run.dcc_faults:  # the suite's own mutation runs only
        config_body["dcc_faults"] = sorted(run.dcc_faults)
    info = control.reset(**config_body)
    address = (config.control or "").rstrip("/") + "/duis/response-address"  # an http(s) URL (HttpDccSide)
    put = urllib.request.Request(address, json.dumps({"url": side.receiver.url}).encode(),  # noqa: S310
                                 {"Content-Type": "application/json"}, method="PUT")
    try:
        with urllib.request.urlopen(put, timeout=30) as answer:  # noqa: S310
            answer.read()
    except OSError as err:
        raise DuisControlMissingError(f"the control channel does not take the response address "
                                      f"{side.receiver.url} ({err}); configure the DCC system to send to "
                                      "it") from None
    assert scene.suppliers is not None
    made = control.add_premises(
        electricity_supplier=scene.suppliers[0], gas_supplier=scene.suppliers[1], devices=(kind,),
        supports_fragmentation=run.pics.supports("fragmentation"),
        consumer_refusal=run.pics.supports("consumer_refusal"),
        device_faults=sorted(run.device_faults), hub_faults=sorted(run.hub_faults))
    scene.check_twin(made, info)
    return side
