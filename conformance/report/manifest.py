"""The signed manifest of a report directory: ``manifest.json``.

It lists the SHA-256 and size of every file of the run (recursively, all but the manifest
itself), the device's PICS summary and the suite's version, and carries an Ed25519 signature
over the canonical JSON of that ``signed`` part (python-tuf's signed/signatures layout). The
signature lives inside the manifest, so a changed byte anywhere can be pinned to one file:
the manifest itself (not canonical, or the signature fails) or the artifact whose hash differs.

The signing key is the one given (``--signing-key PEM``) or the installation's own, generated
on first use and kept at ``$XDG_CONFIG_HOME/hanota/signing-key.pem`` (default
``~/.config/hanota/``), mode 0600.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "FORMAT", "MANIFEST", "ManifestError", "VerifyResult", "default_key_path", "fingerprint",
    "load_or_create_installation_key", "load_private_key", "load_public_key", "verify_manifest",
    "write_manifest",
]

MANIFEST = "manifest.json"
FORMAT = "hanota-manifest/1"
_CHUNK = 1 << 20


class ManifestError(Exception):
    """A key or report directory cannot be used; the message says which file and why."""


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """``sha256:<hex>`` of the raw 32-byte public key: what a person compares."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def default_key_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "hanota" / "signing-key.pem"


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as err:
        raise ManifestError(f"{p}: cannot read the signing key: {err.strerror}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise ManifestError(f"{p}: the signing key is encrypted; give an unencrypted PEM") from None
    except ValueError as err:
        raise ManifestError(f"{p}: not a PEM private key: {err}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ManifestError(f"{p}: the signing key must be Ed25519, got {type(key).__name__}")
    return key


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as err:
        raise ManifestError(f"{p}: cannot read the public key: {err.strerror}") from None
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as err:
        raise ManifestError(f"{p}: not a PEM public key: {err}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ManifestError(f"{p}: the public key must be Ed25519, got {type(key).__name__}")
    return key


def load_or_create_installation_key(path: Path | None = None) -> Ed25519PrivateKey:
    """The installation's signing key, generated once (mode 0600) when it does not exist yet."""
    p = path or default_key_path()
    if p.exists():
        return load_private_key(p)
    p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    try:
        # O_EXCL: two runs starting at once must not overwrite each other's fresh key.
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_private_key(p)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    print(f"hanota: created this installation's report-signing key {p} (mode 0600, fingerprint "
          f"{fingerprint(key.public_key())}); keep it to sign later reports with the same key",
          file=sys.stderr)
    return key


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _walk(report_dir: Path) -> tuple[dict[str, Path], list[str]]:
    """Every file under the directory by POSIX relative path (not the manifest), and any
    symbolic links, which are refused: a link could point anywhere and change unseen."""
    files: dict[str, Path] = {}
    links: list[str] = []
    for root, dirs, names in os.walk(report_dir, followlinks=False):
        base = Path(root)
        for d in list(dirs):
            if (base / d).is_symlink():
                links.append((base / d).relative_to(report_dir).as_posix())
                dirs.remove(d)
        for n in names:
            p = base / n
            rel = p.relative_to(report_dir).as_posix()
            if rel == MANIFEST:
                continue
            if p.is_symlink():
                links.append(rel)
            elif p.is_file():
                files[rel] = p
    return dict(sorted(files.items())), sorted(links)


def _canonical(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _serialise(doc: Mapping[str, Any]) -> bytes:
    """The one byte form a manifest file may have (so any edit at all is detected)."""
    return (json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=True) + "\n").encode("ascii")


def _results_summary(report_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((report_dir / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_manifest(report_dir: Path, *, signing_key: Ed25519PrivateKey | None,
                   suite_commit: str | None = None) -> Path:
    """Hash every artifact, sign, and write ``report_dir/manifest.json``; return its path.

    ``signing_key=None`` uses the installation key (created on first use).
    """
    report_dir = Path(report_dir)
    key = signing_key if signing_key is not None else load_or_create_installation_key()
    files, links = _walk(report_dir)
    if links:
        raise ManifestError(f"{report_dir / links[0]}: a symbolic link cannot be signed; copy the file in")
    results = _results_summary(report_dir)
    signed: dict[str, Any] = {
        "format": FORMAT,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "suite_version": results.get("suite_version", ""),
        "suite_commit": suite_commit or results.get("suite_commit", "") or "",
        "finished_at": results.get("finished_at", ""),
        "rules": results.get("rules", ""),
        "pics": results.get("pics", {}),
        "files": {rel: {"sha256": _sha256(p), "size": p.stat().st_size} for rel, p in files.items()},
    }
    public = key.public_key()
    doc = {
        "signed": signed,
        "signature": {
            "algorithm": "ed25519",
            "public_key": base64.b64encode(public.public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode("ascii"),
            "key_fingerprint": fingerprint(public),
            "value": base64.b64encode(key.sign(_canonical(signed))).decode("ascii"),
        },
    }
    out = report_dir / MANIFEST
    tmp = out.with_name(MANIFEST + ".tmp")
    tmp.write_bytes(_serialise(doc))
    tmp.replace(out)  # atomic: a reader never sees half a manifest
    return out


@dataclass
class VerifyResult:
    """The outcome of checking a report directory against its manifest."""

    valid: bool
    #: The fingerprint of the key the signature was checked against ("" if it could not be).
    key_fingerprint: str = ""
    #: "given" (the --public-key) or "manifest" (the key recorded in the manifest itself).
    key_source: str = ""
    #: The manifest itself is unusable or its signature fails: the reason.
    problem: str = ""
    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    signed: dict[str, Any] = field(default_factory=dict)

    def message(self) -> str:
        """One line: valid, or exactly what is wrong and with which file."""
        if self.valid:
            trust = "the given key" if self.key_source == "given" else "the key recorded in the manifest"
            return (f"valid: {len(self.signed.get('files', {}))} files match, signed by {trust} "
                    f"({self.key_fingerprint})")
        if self.problem:
            return self.problem
        parts = [f"{f}: changed since signing" for f in self.changed]
        parts += [f"{f}: added after signing" for f in self.added]
        parts += [f"{f}: removed after signing" for f in self.removed]
        return "invalid: " + "; ".join(parts)

    @property
    def files(self) -> list[str]:
        """Every file named as wrong, in order."""
        return self.changed + self.added + self.removed


def _fail(problem: str, fp: str = "", source: str = "") -> VerifyResult:
    return VerifyResult(valid=False, problem=problem, key_fingerprint=fp, key_source=source)


def _b64(text: object) -> bytes:
    """Strict base64: the unused low bits of the last character let two spellings decode to the
    same bytes, so only the canonical spelling is accepted (any changed byte must be noticed)."""
    raw = base64.b64decode(str(text), validate=True)
    if base64.b64encode(raw).decode("ascii") != text:
        raise ValueError("non-canonical base64")
    return raw


def verify_manifest(report_dir: Path, public_key: Ed25519PublicKey | None = None) -> VerifyResult:
    """Check the signature (against ``public_key``, else the recorded key) and every file's hash."""
    report_dir = Path(report_dir)
    path = report_dir / MANIFEST
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return _fail(f"{MANIFEST}: missing, the report is not signed")
    except OSError as err:
        return _fail(f"{MANIFEST}: cannot read: {err.strerror}")
    try:
        doc = json.loads(raw.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return _fail(f"{MANIFEST}: changed since signing (not valid JSON)")
    if not isinstance(doc, dict) or not isinstance(doc.get("signed"), dict) \
            or not isinstance(doc.get("signature"), dict):
        return _fail(f"{MANIFEST}: changed since signing (not a hanota manifest)")
    if _serialise(doc) != raw:
        return _fail(f"{MANIFEST}: changed since signing (not in the form it was written in)")
    signed: dict[str, Any] = doc["signed"]
    sig = doc["signature"]
    if signed.get("format") != FORMAT or sig.get("algorithm") != "ed25519":
        return _fail(f"{MANIFEST}: unknown format {signed.get('format')!r}; expected {FORMAT}")
    try:
        recorded = Ed25519PublicKey.from_public_bytes(_b64(sig.get("public_key")))
        value = _b64(sig.get("value"))
    except (binascii.Error, ValueError):
        return _fail(f"{MANIFEST}: changed since signing (recorded key or signature unreadable)")
    key, source = (public_key, "given") if public_key is not None else (recorded, "manifest")
    fp = fingerprint(key)
    if fingerprint(recorded) != sig.get("key_fingerprint"):
        return _fail(f"{MANIFEST}: changed since signing (key fingerprint does not match the key)",
                     fp, source)
    try:
        key.verify(value, _canonical(signed))
    except InvalidSignature:
        if source == "given" and fingerprint(recorded) != fp:
            return _fail(f"{MANIFEST}: signed by another key ({fingerprint(recorded)}), not the given "
                         f"key ({fp})", fp, source)
        return _fail(f"{MANIFEST}: changed since signing (the signature does not verify)", fp, source)

    listed = signed.get("files")
    if not isinstance(listed, dict):
        return _fail(f"{MANIFEST}: the signed part lists no files", fp, source)
    files, links = _walk(report_dir)
    result = VerifyResult(valid=True, key_fingerprint=fp, key_source=source, signed=signed)
    for rel, entry in listed.items():
        p = files.get(rel)
        if p is None:
            if rel not in links:
                result.removed.append(rel)
            else:
                result.changed.append(rel)  # replaced by a link
            continue
        want = entry.get("sha256") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or p.stat().st_size != entry.get("size") or _sha256(p) != want:
            result.changed.append(rel)
    result.added = sorted((set(files) | set(links)) - set(listed))
    result.valid = not result.files
    return result
