"""The DCC PIXIT for DUIS: who signs what, which schema, where the control channel is.

A TOML file; paths are relative to it. Each side reads what it needs: the suite needs the
Suppliers' keys and certificates, the DCC's certificates and EUI-64, the schema and (optionally)
the control channel; ``hanota serve-dcc --binding duis`` needs the DCC's key and certificate,
the Suppliers' certificates and the schema. ::

    schema = "DUIS Schema V5.4.xsd"
    [dcc]
    eui64 = "90-B3-D5-1F-30-00-00-02"
    certificates = ["dsp-xml-sign-90B3D51F30000002-ds.pem"]
    key = "dcc.key"                     # the reference DCC only
    control = "http://127.0.0.1:8080/control"   # optional: the test-control channel
    clock_epoch = "2030-01-01T00:00:00Z"          # what 0 ms on the control clock is
    [tls]                                         # optional, for duis+https
    ca = "dcc-ca.pem"                             # trust this CA for the DCC's server certificate
    certificate = "client.pem"                    # client certificate, if the DCC asks for one
    key = "client.key"
    [[suppliers]]
    name = "Supplier A"
    eui64 = "90-B3-D5-1F-30-01-00-00"
    certificate = "xml-sign-90B3D51F30010000-ds.pem"
    key = "xml-sign-90B3D51F30010000-ds.key"        # the suite only
    [[suppliers]]                                   # optional: the same Supplier in another
    name = "Supplier A"                             # DCC user role (its own User ID and key),
    role = "export-supplier"                        # for the scenarios that send SR 11.4 in it
    eui64 = "90-B3-D5-1F-30-01-00-01"
    certificate = "export.pem"
    key = "export.key"
"""

from __future__ import annotations

import datetime as dt
import ssl
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hanota.conformance.models.service_request import SupplierRole
from hanota.protocol.duis import DuisLimits, Signer, load_certificate, load_private_key
from hanota.protocol.duis._read import eui_text
from hanota.protocol.errors import HarnessUsageError

__all__ = ["DEFAULT_CLOCK_EPOCH", "DuisConfig", "SupplierIdentity", "load_config", "write_test_config"]

DEFAULT_CLOCK_EPOCH = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
DEFAULT_DCC_EUI = 0x90B3D51F30000002


@dataclass(frozen=True)
class SupplierIdentity:
    name: str
    eui64: int
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey | None = None
    #: The DCC user role of this User ID; None: the Supplier's own (Import or Gas Supplier, as
    #: it holds at the premises).
    role: SupplierRole | None = None

    def signer(self) -> Signer:
        if self.key is None:
            raise HarnessUsageError(f"the DCC PIXIT gives no key for {self.name!r}: the suite cannot "
                                    "sign its Service Requests")
        return Signer(self.key, self.certificate)


@dataclass(frozen=True)
class DuisConfig:
    suppliers: tuple[SupplierIdentity, ...]
    dcc_certificates: tuple[x509.Certificate, ...]
    dcc_eui64: int = DEFAULT_DCC_EUI
    schema: Path | None = None
    dcc_key: ec.EllipticCurvePrivateKey | None = None
    control: str | None = None
    clock_epoch: dt.datetime = DEFAULT_CLOCK_EPOCH
    limits: DuisLimits = field(default_factory=DuisLimits)
    tls_ca: Path | None = None
    tls_certificate: Path | None = None
    tls_key: Path | None = None

    def ssl_context(self) -> ssl.SSLContext:
        """For ``duis+https``: the system's trust store or the PIXIT's CA, and the client
        certificate when one is given."""
        context = ssl.create_default_context(cafile=str(self.tls_ca) if self.tls_ca else None)
        if self.tls_certificate is not None:
            context.load_cert_chain(str(self.tls_certificate), str(self.tls_key) if self.tls_key else None)
        return context

    def supplier(self, name: str) -> SupplierIdentity:
        for s in self.suppliers:
            if s.name == name and s.role is None:
                return s
        known = ", ".join(s.name for s in self.suppliers if s.role is None) or "none"
        raise HarnessUsageError(f"the DCC PIXIT names no DUIS identity for {name!r} (it names: {known})")

    def user(self, name: str, role: SupplierRole) -> SupplierIdentity | None:
        """``name``'s User ID in the DCC user role ``role`` (a ``role`` entry), if the PIXIT names one."""
        return next((s for s in self.suppliers if s.name == name and s.role is role), None)

    def supplier_by_eui(self, eui: int) -> SupplierIdentity | None:
        return next((s for s in self.suppliers if s.eui64 == eui), None)

    def dcc_signer(self) -> Signer:
        if self.dcc_key is None or not self.dcc_certificates:
            raise HarnessUsageError("the DUIS configuration gives no DCC key and certificate to sign with")
        return Signer(self.dcc_key, self.dcc_certificates[0])

    def with_overrides(self, *, schema: str | Path | None = None, control: str | None = None) -> DuisConfig:
        from dataclasses import replace

        return replace(self, schema=Path(schema) if schema else self.schema, control=control or self.control)


def _eui(value: object, where: str) -> int:
    text = str(value).replace("-", "").replace(":", "")
    if len(text) != 16:
        raise HarnessUsageError(f"{where}: expected an EUI-64 such as 90-B3-D5-1F-30-01-00-00, got {value!r}")
    try:
        return int(text, 16)
    except ValueError:
        raise HarnessUsageError(f"{where}: expected an EUI-64, got {value!r}") from None


def load_config(path: str | Path) -> DuisConfig:
    """Read the DCC PIXIT for DUIS (one clear error naming the key on a mistake)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise HarnessUsageError(f"DCC PIXIT {path}: {err}") from None
    base = path.parent

    def file(value: object, where: str) -> Path:
        if not isinstance(value, str):
            raise HarnessUsageError(f"DCC PIXIT {path}: {where}: expected a file name")
        return base / value

    dcc = data.get("dcc", {})
    certs = tuple(load_certificate(file(c, "dcc.certificates[]")) for c in dcc.get("certificates", []))
    suppliers = []
    for i, s in enumerate(data.get("suppliers", [])):
        where = f"suppliers[{i}]"
        if not isinstance(s.get("name"), str):
            raise HarnessUsageError(f"DCC PIXIT {path}: {where}.name: expected a Supplier name")
        key = load_private_key(file(s["key"], f"{where}.key")) if "key" in s else None
        cert = load_certificate(file(s.get("certificate"), f"{where}.certificate"))
        role = None
        if "role" in s:
            try:
                role = SupplierRole(s["role"])
            except ValueError:
                raise HarnessUsageError(f"DCC PIXIT {path}: {where}.role: expected one of "
                                        f"{', '.join(r.value for r in SupplierRole)}") from None
        suppliers.append(SupplierIdentity(s["name"], _eui(s.get("eui64"), f"{where}.eui64"), cert, key, role))
    epoch = DEFAULT_CLOCK_EPOCH
    if "clock_epoch" in dcc:
        try:
            epoch = dt.datetime.fromisoformat(str(dcc["clock_epoch"]).replace("Z", "+00:00"))
        except ValueError:
            raise HarnessUsageError(f"DCC PIXIT {path}: dcc.clock_epoch: not an ISO date-time") from None
    limits = DuisLimits(int(data.get("max_document_bytes", DuisLimits().max_document_bytes)))
    tls = data.get("tls", {})
    return DuisConfig(
        suppliers=tuple(suppliers), dcc_certificates=certs,
        dcc_eui64=_eui(dcc.get("eui64", eui_text(DEFAULT_DCC_EUI)), "dcc.eui64"),
        schema=file(data["schema"], "schema") if "schema" in data else None,
        dcc_key=load_private_key(file(dcc["key"], "dcc.key")) if "key" in dcc else None,
        control=dcc.get("control"), clock_epoch=epoch, limits=limits,
        tls_ca=file(tls["ca"], "tls.ca") if "ca" in tls else None,
        tls_certificate=file(tls["certificate"], "tls.certificate") if "certificate" in tls else None,
        tls_key=file(tls["key"], "tls.key") if "key" in tls else None)


# -- test identities (the reference DCC and its tests) ------------------------------------------
def _self_signed(key: ec.EllipticCurvePrivateKey, name: str, serial: int) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer = x509.Name([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "07"),
                        x509.NameAttribute(NameOID.COMMON_NAME, "hanota test")])
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
            .serial_number(serial).not_valid_before(start).not_valid_after(start + dt.timedelta(days=36500))
            .sign(key, hashes.SHA256()))


def write_test_config(directory: str | Path, *, suppliers: Sequence[str] = ("Supplier A", "Supplier B",
                                                                            "Supplier C"),
                      schema: str | Path | None = None, control: str | None = None, seed: int = 0,
                      roles: Sequence[SupplierRole] = (SupplierRole.EXPORT_SUPPLIER,
                                                       SupplierRole.ELECTRICITY_DISTRIBUTOR,
                                                       SupplierRole.GAS_TRANSPORTER,
                                                       SupplierRole.OTHER_USER)) -> Path:
    """Write test keys, certificates and a DCC PIXIT (``duis.toml``) into ``directory``: a DCC
    identity, one per Supplier, and one per role in ``roles`` for the first Supplier (the DCC
    user roles SR 11.4 is refused in), derived from ``seed`` (test material, never for production)."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)

    def pair(stem: str, index: int) -> tuple[str, str]:
        key = ec.derive_private_key(0x5EED_0000 + seed * 1000 + index + 1, ec.SECP256R1())
        cert = _self_signed(key, stem, 0x1000 + seed * 1000 + index)
        (out / f"{stem}.key").write_bytes(key.private_bytes(serialization.Encoding.DER,
                                                            serialization.PrivateFormat.PKCS8,
                                                            serialization.NoEncryption()))
        (out / f"{stem}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return f"{stem}.key", f"{stem}.pem"

    dcc_key, dcc_cert = pair("dcc", 0)
    lines = []
    if schema is not None:
        lines.append(f"schema = {str(Path(schema).resolve())!r}")
    lines += ["[dcc]", f'eui64 = "{eui_text(DEFAULT_DCC_EUI)}"', f"certificates = [{dcc_cert!r}]",
              f"key = {dcc_key!r}"]
    if control:
        lines.append(f"control = {control!r}")
    for i, name in enumerate(suppliers, start=1):
        key, cert = pair(f"supplier-{i}", i)
        eui = eui_text(0x90B3D51F30000000 + i * 0x10000)
        lines += ["[[suppliers]]", f"name = {name!r}", f'eui64 = "{eui}"', f"certificate = {cert!r}",
                  f"key = {key!r}"]
    for j, role in enumerate(roles if suppliers else (), start=1):
        key, cert = pair(f"supplier-1-{role.value}", 100 + j)
        eui = eui_text(0x90B3D51F30010000 + j)
        lines += ["[[suppliers]]", f"name = {suppliers[0]!r}", f'role = "{role.value}"', f'eui64 = "{eui}"',
                  f"certificate = {cert!r}", f"key = {key!r}"]
    pixit = out / "duis.toml"
    pixit.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return pixit
