"""hanota publish: every report listed, linked, and its signature status shown."""

from __future__ import annotations

import json
import re

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hanota.conformance.cli import main
from hanota.conformance.report.manifest import fingerprint, write_manifest
from hanota.conformance.report.publish import publish, requirement_pass_rate
from hanota.conformance.report.render import render_report

from . import CATALOGUE, make_report_dir, parse, results, scenario

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))


def signed(path, payload=None, key=KEY):
    d = make_report_dir(path, payload)
    render_report(d, requirements=CATALOGUE)
    write_manifest(d, signing_key=key)
    return d


def rows(index_html: str) -> list[dict[str, str]]:
    return [a for t, a in parse(index_html).elements if t == "tr" and "data-status" in a]


def test_publish_lists_each_report_with_its_signature_status(tmp_path):
    good = signed(tmp_path / "ihd-a")
    passing = results([scenario(1, "pass", ["SECMP7-IMG-001"])])
    passing["pics"]["kind"] = "ihd"
    other = signed(tmp_path / "ihd-b", passing)
    tampered = signed(tmp_path / "ppmid-c")
    (tampered / "junit.xml").write_text("<testsuites/>")
    listed = publish([good, other, tampered], tmp_path / "site")
    assert [p.status for p in listed] == ["valid", "valid", "invalid"]
    assert "junit.xml: changed since signing" in listed[2].status_text
    text = (tmp_path / "site" / "index.html").read_text()
    found = rows(text)
    assert [r["data-status"] for r in found] == ["valid", "valid", "invalid"]
    for p in listed:
        assert f'href="reports/{p.name}/report.html"' in text
        assert (tmp_path / "site" / "reports" / p.name / "report.html").is_file()
    assert "IHD manufacturer 0x1234" in text and "junit.xml: changed since signing" in text
    assert not re.search(r"https?://", text)


def test_trusted_keys(tmp_path):
    a = signed(tmp_path / "a")
    b = signed(tmp_path / "b", key=Ed25519PrivateKey.generate())
    listed = publish([a, b], tmp_path / "site", trusted_keys=[KEY.public_key()])
    assert [p.status for p in listed] == ["valid", "untrusted"]
    assert fingerprint(KEY.public_key()) in (tmp_path / "site" / "index.html").read_text()


def test_same_directory_names_do_not_collide(tmp_path):
    a = signed(tmp_path / "x" / "run")
    b = signed(tmp_path / "y" / "run")
    listed = publish([a, b], tmp_path / "site")
    assert len({p.name for p in listed}) == 2


def test_requirement_pass_rate():
    reqs = [{"requirement": "A", "verdict": "pass"}, {"requirement": "B", "verdict": "fail"},
            {"requirement": "C", "verdict": "not-applicable"}, {"requirement": "D", "verdict": "not-tested"},
            {"requirement": "E", "verdict": "not-tested"}]
    assert requirement_pass_rate(reqs, {"E": "informative"}) == (1, 3)


def test_publish_command(tmp_path, capsys):
    a = signed(tmp_path / "a")
    pem = tmp_path / "pub.pem"
    pem.write_bytes(KEY.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo))
    site = tmp_path / "site"
    assert main(["publish", str(a), "--out", str(site), "--public-key", str(pem)]) == 0
    data = json.loads((a / "results.json").read_text())
    data["seed"] = 1
    (a / "results.json").write_text(json.dumps(data))
    assert main(["publish", str(a), "--out", str(site)]) == 1
    assert "results.json: changed since signing" in capsys.readouterr().err
    assert main(["publish", str(tmp_path / "absent"), "--out", str(site)]) == 2
    assert main(["publish", str(a), "--out", str(a / "site")]) == 2
