"""``hanota explore``: exit codes, the first line, the replay file, the signed report."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hanota.conformance.cli import main
from hanota.conformance.explore.invariants import INVARIANTS
from hanota.conformance.report import verify_manifest


@pytest.fixture
def signing_key(tmp_path):
    path = tmp_path / "signing.pem"
    path.write_bytes(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return str(path)


def test_no_counterexample_exit_0_and_signed_report(tmp_path, capsys, signing_key):
    out = tmp_path / "r"
    assert main(["explore", "--examples", "10", "--report-dir", str(out), "--signing-key", signing_key]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("no counterexample: ") and f"{len(INVARIANTS)} invariants" in line
    doc = json.loads((out / "exploration.json").read_text())
    assert doc["counterexample"] is None and doc["examples"] >= 10 and doc["frames_checked"] > 0
    assert "Exploration" in (out / "exploration.html").read_text()
    assert verify_manifest(out).valid


def test_counterexample_exit_1_first_line_names_the_invariant_and_replays(tmp_path, capsys, signing_key):
    out = tmp_path / "r"
    code = main(["explore", "--fault", "bad-query-next-image", "--examples", "50",
                 "--report-dir", str(out), "--signing-key", signing_key])
    assert code == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("counterexample: query-identity (SECMP7-OTA-001): ")
    assert any("device -> QueryNextImageRequest" in x for x in lines[1:])
    replay = json.loads((out / "counterexample.json").read_text())
    assert replay["format"] == "hanota-explore-replay/1"
    assert replay["device"]["faults"] == ["bad-query-next-image"]
    html = (out / "exploration.html").read_text()
    assert "query-identity" in html and "Counterexample found" in html
    assert verify_manifest(out).valid
    # the replay file runs again, deterministically: same first line, same transcript
    assert main(["explore", "--replay", str(out / "counterexample.json")]) == 1
    again = capsys.readouterr().out.splitlines()
    assert again[0] == lines[0] and again[1:len(lines)] == lines[1:]
    # ... and the reference device without the fault passes it
    (out / "fixed.json").write_text(json.dumps(dict(replay, device={"faults": []})))
    assert main(["explore", "--replay", str(out / "fixed.json")]) == 0
    assert capsys.readouterr().out.startswith("no counterexample: ")


def test_exploration_section_in_the_run_report(tmp_path, signing_key):
    from hanota.conformance.report import render_report

    out = tmp_path / "r"
    main(["explore", "--fault", "bad-query-next-image", "--examples", "20", "--report-dir", str(out),
          "--signing-key", signing_key])
    (out / "results.json").write_text(json.dumps({"scenarios": [], "pics": {"kind": "ppmid"}}))
    html = render_report(out, requirements=[]).read_text()
    assert 'id="exploration"' in html and "query-identity" in html


@pytest.mark.parametrize("argv, needle", [
    (["--dut", "tcp://127.0.0.1:1"], "cannot be reached"),
    (["--dut", "udp://x:1"], "--dut"),
    (["--dut", "tcp://127.0.0.1:1", "--fault", "ignore-abort"], "--fault"),
    (["--fault", "no-such-fault"], "unknown device faults"),
    (["--pics", "/nonexistent.toml"], "no such PICS file"),
    (["--replay", "/nonexistent.json"], "cannot read"),
])
def test_usage_errors_exit_2_one_line(tmp_path, capsys, argv, needle):
    assert main(["explore", "--report-dir", str(tmp_path / "r"), *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize("doc, needle", [
    ("not json", "not valid JSON"),
    ({"format": "other"}, "format"),
    ({"format": "hanota-explore-replay/1", "actions": {}}, "actions"),
    ({"format": "hanota-explore-replay/1", "actions": [{"do": "fly"}]}, "actions[0].do: unknown action"),
    ({"format": "hanota-explore-replay/1", "actions": [{"do": "time", "ms": -1}]}, "field 'ms'"),
    ({"format": "hanota-explore-replay/1", "actions": [{"do": "time", "ms": 5, "x": 1}]},
     "unknown field 'x'"),
    ({"format": "hanota-explore-replay/1",
      "actions": [{"do": "start", "image": "valid", "blocks": 1, "answers": [{"with": "boom"}]}]}, "answers"),
    ({"format": "hanota-explore-replay/1", "image_capacity_bytes": 10, "actions": []},
     "image_capacity_bytes"),
    # 0x02 is Query Next Image Response, which the client takes: not a command to be refused
    ({"format": "hanota-explore-replay/1",
      "actions": [{"do": "unsupported", "kind": "undefined-command", "command_id": 2}]},
     "(unsupported): field 'command_id': expected an OTA command id 0..255 the client does not take"),
    ({"format": "hanota-explore-replay/1",
      "actions": [{"do": "unsupported", "kind": "manufacturer-cluster", "command_id": 10}]},
     "field 'command_id' goes with kind 'undefined-command' only"),
])
def test_bad_replay_file_exit_2_naming_the_element(tmp_path, capsys, doc, needle):
    path = tmp_path / "bad.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    assert main(["explore", "--replay", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1


def test_over_the_bridge_with_a_pics(tmp_path, capsys, signing_key):
    from hanota.conformance.adapters import ReferenceAdapter
    from hanota.conformance.adapters.server import BridgeServer

    from .helpers import reference_config

    pics = tmp_path / "device.toml"
    pics.write_text('[device]\nkind = "ppmid"\nmanufacturer_code = 0x1234\nimage_type = 0x0101\n'
                    'file_version = 0x00000100\n[features]\nresume = true\n'
                    '[pixit]\nimage_capacity_bytes = 2048\n')
    with BridgeServer(ReferenceAdapter(reference_config()), poll_s=0.005) as server:
        url = server.url
        code = main(["explore", "--dut", url, "--pics", str(pics), "--examples", "5",
                     "--report-dir", str(tmp_path / "r"), "--signing-key", signing_key])
    assert code == 0, capsys.readouterr().err
    doc = json.loads((tmp_path / "r" / "exploration.json").read_text())
    assert doc["dut"] == url and doc["identity"]["virtual_time"] is True


def test_seconds_budget(tmp_path, capsys, signing_key):
    assert main(["explore", "--seconds", "1", "--report-dir", str(tmp_path / "r"),
                 "--signing-key", signing_key]) == 0
    assert json.loads((tmp_path / "r" / "exploration.json").read_text())["examples"] >= 25
