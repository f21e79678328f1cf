"""XML signatures as DUIS uses them, with signxml.

ECDSA P-256 / SHA-256, exclusive canonicalisation, one enveloped signature over the whole
document (``Reference URI=""``), the signer named in KeyInfo by ``X509IssuerSerial``. Requests
are signed with a Supplier's key; responses and alerts verified against the DCC certificates a
user names. What :func:`verify` returns is read from the bytes signxml verified, never from the
tree as received, and a signature that is not the root's one and only enveloped signature is
refused (signature wrapping).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature
from signxml.signer import XMLSigner
from signxml.verifier import SignatureConfiguration, XMLVerifier

from hanota.protocol.errors import HarnessUsageError

from .errors import (
    DuisSignatureInvalidError,
    DuisSignatureMissingError,
    DuisUnknownSignerError,
    SignatureWrappingError,
)
from .xmldoc import DS, DuisLimits, element_path, parse, q, xml_parser

__all__ = [
    "Signer",
    "Verified",
    "issuer_serial",
    "load_certificate",
    "load_private_key",
    "sign",
    "verify",
]

_CONFIG = SignatureConfiguration(
    require_x509=False,  # KeyInfo names the certificate (X509IssuerSerial); the user gives it
    location="./",  # the signature must be a child of the root
    expect_references=1,
    signature_methods=frozenset({SignatureMethod.ECDSA_SHA256}),
    digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
)
_ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
_EXC_C14N = CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0.value


def load_private_key(path: str | Path) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key, PKCS#8 DER (as DCC Boxed ships ``.key`` files) or PEM."""
    raw = Path(path).read_bytes()
    try:
        key = (serialization.load_pem_private_key(raw, None) if raw.lstrip().startswith(b"-----")
               else serialization.load_der_private_key(raw, None))
    except (ValueError, TypeError) as err:
        raise HarnessUsageError(f"{path}: not a private key: {err}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise HarnessUsageError(f"{path}: DUIS signs with ECDSA P-256; this key is another kind")
    return key


def load_certificate(path: str | Path) -> x509.Certificate:
    raw = Path(path).read_bytes()
    try:
        return (x509.load_pem_x509_certificate(raw) if raw.lstrip().startswith(b"-----")
                else x509.load_der_x509_certificate(raw))
    except ValueError as err:
        raise HarnessUsageError(f"{path}: not an X.509 certificate: {err}") from None


def issuer_serial(cert: x509.Certificate) -> tuple[str, int]:
    """``(X509IssuerName, X509SerialNumber)`` as DCC Boxed writes them (``CN=Z1,OU=07``)."""
    return cert.issuer.rfc4514_string(), cert.serial_number


def _norm_name(name: str) -> str:
    return ",".join(part.strip().upper() for part in name.split(","))


@dataclass(frozen=True)
class Signer:
    """A signing identity: the private key and the certificate naming it."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    @classmethod
    def load(cls, key_path: str | Path, cert_path: str | Path) -> Signer:
        signer = cls(load_private_key(key_path), load_certificate(cert_path))
        if signer.key.public_key() != signer.certificate.public_key():
            raise HarnessUsageError(f"{key_path} is not the key of the certificate {cert_path}")
        return signer


def _key_info(cert: x509.Certificate) -> etree._Element:
    issuer, serial = issuer_serial(cert)
    info = etree.Element(q("KeyInfo", DS), nsmap={"ds": DS})
    data = etree.SubElement(info, q("X509Data", DS))
    pair = etree.SubElement(data, q("X509IssuerSerial", DS))
    etree.SubElement(pair, q("X509IssuerName", DS)).text = issuer
    etree.SubElement(pair, q("X509SerialNumber", DS)).text = str(serial)
    return info


class _Signer(XMLSigner):
    """signxml's signer, copying the document with the project's parser: signxml's own has no
    ``huge_tree`` and refuses a FirmwareImage above 10 MB of base64 (the schema allows 13.6)."""

    @property
    def parser(self) -> etree.XMLParser:
        return xml_parser()


def sign(root: etree._Element, signer: Signer) -> bytes:
    """``root`` (an unsigned sr:Request or sr:Response) with its enveloped signature, as bytes.
    A signature already in the document (a template's placeholder) is replaced."""
    for old in root.findall(q("Signature", DS)):
        root.remove(old)
    xml_signer = _Signer(signature_algorithm=SignatureMethod.ECDSA_SHA256,
                         digest_algorithm=DigestAlgorithm.SHA256,
                         c14n_algorithm=_EXC_C14N)
    xml_signer.namespaces = {"ds": DS}
    # The Reference lists exclusive c14n after the enveloped transform: without it a verifier
    # digests with inclusive c14n (XMLDSig's default), which differs in namespace declarations.
    signed = xml_signer.sign(root, key=signer.key, key_info=_key_info(signer.certificate))
    return bytes(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))


@dataclass(frozen=True)
class Verified:
    """A document whose signature verified: ``root`` is what was signed (signature removed)."""

    root: Any
    signer: x509.Certificate
    #: Whether KeyInfo's X509IssuerSerial names ``signer`` (False: another certificate verified).
    key_info_matches: bool = True
    key_info: str = ""

    def describe(self) -> str:
        issuer, serial = issuer_serial(self.signer)
        note = "" if self.key_info_matches else f" (KeyInfo names {self.key_info} instead)"
        return f"signature verified with issuer {issuer} serial {serial}{note}"


def verify(data: bytes, certificates: Sequence[x509.Certificate], *, limits: DuisLimits | None = None,
           root: etree._Element | None = None) -> Verified:
    """Verify the DUIS document ``data`` against one of ``certificates`` (the one its KeyInfo
    names); raise a named error otherwise. ``root`` is ``parse(data)`` if the caller has it."""
    root = parse(data, limits) if root is None else root
    signatures = root.findall(f".//{q('Signature', DS)}")
    if not signatures:
        raise DuisSignatureMissingError("the document carries no ds:Signature", field=element_path(root))
    if len(signatures) > 1:
        raise SignatureWrappingError(f"{len(signatures)} ds:Signature elements; DUIS has exactly one",
                                     field=element_path(signatures[1]))
    signature = signatures[0]
    if signature.getparent() is not root:
        raise SignatureWrappingError("the ds:Signature is not a child of the root element",
                                     field=element_path(signature))
    references = signature.findall(f"{q('SignedInfo', DS)}/{q('Reference', DS)}")
    if len(references) != 1 or references[0].get("URI") != "":
        raise SignatureWrappingError('the signature must have one Reference, to the whole document (URI="")',
                                     field=element_path(signature) + "/ds:SignedInfo/ds:Reference")
    transforms = [t.get("Algorithm") for t in references[0].iter(q("Transform", DS))]
    if _ENVELOPED not in transforms:
        raise SignatureWrappingError("the Reference is not an enveloped signature",
                                     field=element_path(references[0]))
    named, claimed = _named_certificate(signature, certificates)
    # DCC Boxed's re-signed responses name a serial other than their certificate's: when no
    # certificate matches the KeyInfo, each given one is tried; which one verified is reported.
    candidates = [named] if named is not None else list(certificates)
    failures = []
    for cert in candidates:
        try:
            # The bytes, not ``root``: signxml copies what it is given, and parsing the bytes
            # costs less than serialising the tree again.
            result = XMLVerifier().verify(data, x509_cert=cert, expect_config=_CONFIG, parser=xml_parser())
        except (InvalidSignature, InvalidDigest, InvalidCertificate, InvalidInput, CryptoInvalidSignature,
                ValueError) as err:
            failures.append(f"{_describe(cert)}: {_first_line(err)}")
            continue
        signed = result.signed_xml if not isinstance(result, list) else result[0].signed_xml
        if signed is None or signed.tag != root.tag:
            raise SignatureWrappingError("the signed data is not the document's root element",
                                         field=element_path(root))
        return Verified(signed, cert, named is not None, claimed)
    if named is None:
        known = "; ".join(_describe(c) for c in certificates) or "none given"
        raise DuisUnknownSignerError(f"KeyInfo names {claimed}, none of the certificates given ({known}), "
                                     "and none of them verifies the signature", field=element_path(signature))
    raise DuisSignatureInvalidError(f"the signature does not verify with the certificate KeyInfo names: "
                                    f"{failures[0]}", field=element_path(signature))


def _named_certificate(signature: etree._Element, certificates: Sequence[x509.Certificate]
                       ) -> tuple[x509.Certificate | None, str]:
    """The certificate KeyInfo's X509IssuerSerial names (None if none given matches), and what
    it claims, as text."""
    pair = signature.find(f"{q('KeyInfo', DS)}/{q('X509Data', DS)}/{q('X509IssuerSerial', DS)}")
    if pair is None:
        return None, "no X509IssuerSerial"
    name = (pair.findtext(q("X509IssuerName", DS)) or "").strip()
    serial_text = (pair.findtext(q("X509SerialNumber", DS)) or "").strip()
    claimed = f"issuer {name[:80]!r} serial {serial_text[:60]}"
    if not serial_text.isdigit():
        return None, claimed
    serial = int(serial_text)
    for cert in certificates:
        issuer, number = issuer_serial(cert)
        if number == serial and _norm_name(issuer) == _norm_name(name):
            return cert, claimed
    return None, claimed


def _describe(cert: x509.Certificate) -> str:
    issuer, serial = issuer_serial(cert)
    return f"issuer {issuer} serial {serial}"


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
