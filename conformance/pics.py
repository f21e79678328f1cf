"""PICS: the device's declaration of what it implements, and the PIXIT parameters of a run.

A PICS file is TOML (see docs/pics.md). Scenarios tagged ``@pics-<item>`` need that item
declared true; when it is not, the scenario is *not applicable* and the report says why.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from hanota.protocol.errors import HarnessUsageError
from hanota.protocol.limits import DEFAULT_MAX_IMAGE_BYTES, DEFAULT_MAX_WHOLE_IMAGE_BYTES

__all__ = ["OPTIONAL_FEATURES", "DccPixit", "Pics", "PicsError", "SuppliedImage", "load_dcc_pixit",
           "load_pics", "reference_dcc_pixit", "reference_pics"]

#: Optional features a device may declare; each is a ``@pics-<name>`` tag with ``_`` as ``-``.
OPTIONAL_FEATURES = ("fragmentation", "resume", "consumer_refusal", "device_specific_files",
                     "zigbee_ota_images", "resume_after_power_cycle", "image_page_requests",
                     "periodic_query")
DEVICE_KINDS = ("ihd", "ppmid")


class PicsError(HarnessUsageError):
    """The PICS file is malformed; the message names the file, table and key."""


@dataclass(frozen=True)
class Timing:
    #: Minimum block period the device honours, in milliseconds.
    block_period_ms: int = 0
    #: How long the device may take to answer one frame before it counts as silent.
    response_timeout_ms: int = 5_000
    #: Delay between the activation command and the device running the new image.
    activation_delay_ms: int = 0
    #: A wall-time device (no VIRTUAL_TIME): the longest wait a scenario may impose ("N pass");
    #: a scenario that needs longer is not applicable to it.
    max_wall_wait_ms: int = 600_000
    #: A wall-time device: the longest one download may take before it counts as a fail.
    max_download_ms: int = 3_600_000
    #: How long after the first request the hub leaves unanswered the device may go on asking
    #: before it gives up (its retries and their timeouts); None: not declared (SECMP7-RES-005
    #: is then not applicable). Read only to judge, never sent to the device.
    retry_give_up_ms: int | None = None
    #: PICS periodic_query: the device asks its server at least this often without an Image
    #: Notify (0: not declared). Only the suite's judgement reads it; nothing tells the device.
    query_interval_ms: int = 0


@dataclass(frozen=True)
class SuppliedImage:
    """A signed image the manufacturer supplied (PIXIT ``newer_image`` / ``older_image``)."""

    data: bytes = field(repr=False)
    #: the PIXIT key and the file, for messages: "pixit.newer_image (images/v2.bin)"
    source: str


@dataclass(frozen=True)
class Pics:
    kind: str = "ppmid"
    manufacturer_code: int = 0x1234
    image_type: int = 0x0102
    file_version: int = 0x01000000
    hardware_version: int = 1
    eui64: int = 0x0011_2233_4455_6601
    #: PEM of the manufacturer's ECDSA P-256 public key (None: the reference test key).
    public_key_pem: bytes | None = None
    #: Means of local firmware upgrade the device declares besides the air (e.g. "optical
    #: port"): shown in the report, never tested, since such an upgrade "cannot be blocked if it
    #: is carried out locally" (SECMP7-HHT-001/004); the suite tests the HAN path only.
    local_upgrade_interfaces: tuple[str, ...] = ()
    features: frozenset[str] = frozenset()
    timing: Timing = field(default_factory=Timing)
    #: PIXIT: the largest single distributed image, in bytes (768,000 = 750 x 1024 by default).
    max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES
    #: PIXIT: the largest single image the device can hold and install, as it declares it (None:
    #: not declared; the scenarios sized by it are then not applicable). SECMP7-IMG-003/004.
    image_capacity_bytes: int | None = None
    source: str = "built-in reference PICS"
    #: PIXIT: the manufacturer's test signing key (PEM of a P-256 private key) the suite signs
    #: every image with, or a command that signs (bytes on stdin, signature on stdout).
    signing_key_pem: bytes | None = None
    signing_command: str | None = None
    #: PIXIT: the manufacturer's own signed images, when the suite has no signing key.
    newer_image: SuppliedImage | None = None
    older_image: SuppliedImage | None = None
    #: The [device] keys the file spells out (those the handshake identity is compared on).
    declared: frozenset[str] = frozenset()
    #: [device] device_file_query: the image type (0xFFC0-0xFFFE) of the device-specific file the
    #: device asks its hub for as it starts, by Query Device Specific File (None: it does not ask).
    device_file_query: int | None = None

    def supports(self, item: str) -> bool:
        """True when ``item`` (tag spelling, ``-`` or ``_``) is declared by the device."""
        name = item.replace("-", "_")
        if name in DEVICE_KINDS:
            return self.kind == name
        if name == "device_file_query":
            return self.device_file_query is not None
        return name in self.features

    def summary(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "manufacturer_code": f"0x{self.manufacturer_code:04x}",
            "image_type": f"0x{self.image_type:04x}",
            "file_version": f"0x{self.file_version:08x}",
            "hardware_version": self.hardware_version,
            "eui64": f"{self.eui64:016x}",
            "features": sorted(self.features),
            "local_upgrade_interfaces": list(self.local_upgrade_interfaces),
            "max_image_bytes": self.max_image_bytes,
            "image_capacity_bytes": self.image_capacity_bytes,
            "source": self.source,
            "images": self.image_source(),
        }

    def image_source(self) -> str:
        """How the suite gets images the device accepts (the report header says it)."""
        if self.signing_key_pem is not None:
            return "built and signed by the suite with the manufacturer's test key (pixit.signing_key)"
        if self.signing_command is not None:
            return "built by the suite, signed by pixit.signing_command"
        if self.newer_image is not None:
            older = f" and {self.older_image.source}" if self.older_image is not None else ""
            return f"the manufacturer's signed images {self.newer_image.source}{older}"
        return "built and signed by the suite with its own test key"


#: The reference device gives up 4 response timeouts of 5 s after the first unanswered request
#: (the request and its 3 retries: OtaDevice's response_timeout_ms and max_retries).
REFERENCE_RETRY_GIVE_UP_MS = 4 * 5_000

#: The image types of the reference world's devices (conformance.models.premises).
REFERENCE_IMAGE_TYPES = {"ihd": 0x0101, "ppmid": 0x0102}

#: The reference device asks for its client configuration file (image type 0xFFC1) as it starts.
REFERENCE_DEVICE_FILE_QUERY = 0xFFC1


def reference_pics(kind: str = "ppmid") -> Pics:
    """The PICS of the built-in reference device: every optional feature implemented, except the
    periodic query, which it makes only with a declared interval (a PICS file declaring
    periodic_query and [timing] query_interval_ms; tests/test_image_notify.py)."""
    return Pics(kind=kind, image_type=REFERENCE_IMAGE_TYPES[kind],
                features=frozenset(OPTIONAL_FEATURES) - {"periodic_query"},
                image_capacity_bytes=DEFAULT_MAX_IMAGE_BYTES,
                timing=Timing(retry_give_up_ms=REFERENCE_RETRY_GIVE_UP_MS),
                device_file_query=REFERENCE_DEVICE_FILE_QUERY)


def _int(where: str, value: object, *, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PicsError(f"{where}: expected an integer, got {value!r}")
    if not lo <= value <= hi:
        raise PicsError(f"{where}: {value} is outside {lo}..{hi}")
    return value


def load_pics(path: str | Path) -> Pics:
    """Read and validate a PICS TOML file; every problem names the file, table and key."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PicsError(f"{p}: no such PICS file") from None
    except UnicodeDecodeError as err:
        raise PicsError(f"{p}: not UTF-8 text (byte offset {err.start})") from None
    except OSError as err:  # a directory, no permission
        raise PicsError(f"{p}: cannot read the PICS file: {err.strerror or err}") from None
    except tomllib.TOMLDecodeError as err:
        raise PicsError(f"{p}: not valid TOML: {err}") from None
    unknown = set(data) - {"device", "features", "timing", "pixit"}
    if unknown:
        raise PicsError(f"{p}: unknown table(s) {sorted(unknown)}; expected device, features, timing, pixit")
    dev = data.get("device")
    if not isinstance(dev, dict):
        raise PicsError(f"{p}: missing [device] table")
    known_dev = {"kind", "manufacturer_code", "image_type", "file_version", "hardware_version", "eui64",
                 "public_key", "local_upgrade_interfaces", "device_file_query"}
    if extra := set(dev) - known_dev:
        raise PicsError(f"{p}: [device] unknown key(s) {sorted(extra)}")
    for key in ("kind", "manufacturer_code", "image_type", "file_version"):
        if key not in dev:
            raise PicsError(f"{p}: [device] {key} is required")
    kind = dev["kind"]
    if kind not in DEVICE_KINDS:
        raise PicsError(f"{p}: [device] kind must be one of {DEVICE_KINDS}, got {kind!r}")
    public_key_pem: bytes | None = None
    if "public_key" in dev:
        public_key_pem = _public_key(p, dev["public_key"])
    local = dev.get("local_upgrade_interfaces", [])
    if not isinstance(local, list) or not all(isinstance(x, str) and x.strip() for x in local):
        raise PicsError(f"{p}: [device] local_upgrade_interfaces must be a list of names, "
                        "e.g. [\"optical port\"]")
    feats = data.get("features", {})
    if not isinstance(feats, dict):
        raise PicsError(f"{p}: [features] must be a table")
    for name, value in feats.items():
        if name not in OPTIONAL_FEATURES:
            known = ", ".join(OPTIONAL_FEATURES)
            raise PicsError(f"{p}: [features] unknown feature {name!r}; known: {known}")
        if not isinstance(value, bool):
            raise PicsError(f"{p}: [features] {name} must be true or false")
    timing_in = data.get("timing", {})
    timing_names = {f.name for f in fields(Timing)}
    if extra := set(timing_in) - timing_names:
        raise PicsError(f"{p}: [timing] unknown key(s) {sorted(extra)}; known: {sorted(timing_names)}")
    timing = Timing(**{k: _int(f"{p}: [timing] {k}", v, lo=0, hi=_TIMING_MAX.get(k, 86_400_000))
                       for k, v in timing_in.items()})
    for key in ("response_timeout_ms", "max_wall_wait_ms", "max_download_ms"):
        if getattr(timing, key) == 0:
            raise PicsError(f"{p}: [timing] {key} must be at least 1 ms")
    pixit = data.get("pixit", {})
    if not isinstance(pixit, dict):
        raise PicsError(f"{p}: [pixit] must be a table")
    if extra := set(pixit) - PIXIT_KEYS:
        raise PicsError(f"{p}: [pixit] unknown key(s) {sorted(extra)}; known: {sorted(PIXIT_KEYS)}")
    signing = _signing(p, pixit, public_key_pem)
    return Pics(
        kind=kind,
        manufacturer_code=_int(f"{p}: [device] manufacturer_code", dev["manufacturer_code"], lo=0, hi=0xFFFF),
        image_type=_int(f"{p}: [device] image_type", dev["image_type"], lo=0, hi=0xFFFF),
        file_version=_int(f"{p}: [device] file_version", dev["file_version"], lo=0, hi=0xFFFFFFFF),
        hardware_version=_int(f"{p}: [device] hardware_version", dev.get("hardware_version", 1),
                              lo=0, hi=0xFFFF),
        eui64=_int(f"{p}: [device] eui64", dev.get("eui64", Pics.eui64), lo=0, hi=2**64 - 1),
        public_key_pem=public_key_pem,
        local_upgrade_interfaces=tuple(local),
        features=frozenset(k for k, v in feats.items() if v),
        timing=timing,
        max_image_bytes=_int(f"{p}: [pixit] max_image_bytes",
                             pixit.get("max_image_bytes", DEFAULT_MAX_IMAGE_BYTES),
                             lo=1024, hi=DEFAULT_MAX_WHOLE_IMAGE_BYTES),
        image_capacity_bytes=None if "image_capacity_bytes" not in pixit else _int(
            f"{p}: [pixit] image_capacity_bytes", pixit["image_capacity_bytes"], lo=1024,
            hi=DEFAULT_MAX_WHOLE_IMAGE_BYTES),
        source=str(p),
        declared=frozenset(dev),
        device_file_query=None if "device_file_query" not in dev else _int(
            f"{p}: [device] device_file_query", dev["device_file_query"], lo=0xFFC0, hi=0xFFFE),
        **signing,
    )


#: [timing] keys whose bound is not one day: a device may query its server as seldom as weekly.
_TIMING_MAX = {"query_interval_ms": 31 * 86_400_000}

#: The [pixit] keys a PICS file may set.
PIXIT_KEYS = frozenset({"max_image_bytes", "image_capacity_bytes", "signing_key", "signing_command",
                        "newer_image", "older_image"})
#: A supplied image larger than this is refused before it is read (the PIXIT size limit's bound).
_MAX_SUPPLIED_BYTES = 64 * 1024 * 1024


def _text_value(where: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PicsError(f"{where}: expected a non-empty string, got {value!r}")
    return value


def _read(p: Path, where: str, value: object, *, limit: int = 1024 * 1024) -> tuple[Path, bytes]:
    """The file ``value`` names (relative to the PICS file), at most ``limit`` bytes."""
    path = (p.parent / _text_value(where, value)).resolve()
    try:
        size = path.stat().st_size
        if size > limit:
            raise PicsError(f"{where}: {path} is {size:,} bytes; at most {limit:,} are read")
        return path, path.read_bytes()
    except OSError as err:
        raise PicsError(f"{where}: cannot read {path}: {err.strerror or err}") from None


def _public_key(p: Path, value: object) -> bytes:
    """The declared public key: inline PEM or a file, which must hold a P-256 public key."""
    where = f"{p}: [device] public_key"
    text = _text_value(where, value)
    if "-----BEGIN" in text:
        pem, name = text.encode(), "the inline PEM"
    else:
        path, pem = _read(p, where, text)
        name = str(path)
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        private = b"PRIVATE KEY-----" in pem
        hint = ("a private key: declare its public half (openssl ec -pubout)" if private
                else "not a PEM public key")
        raise PicsError(f"{where}: {name} is {hint}") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise PicsError(f"{where}: {name} is not an ECDSA P-256 (secp256r1) public key")
    return pem


def _signing(p: Path, pixit: dict[str, Any], public_key_pem: bytes | None) -> dict[str, Any]:
    """The PIXIT keys that say how the suite gets images the device accepts."""
    out: dict[str, Any] = {}
    if "signing_key" in pixit and "signing_command" in pixit:
        raise PicsError(f"{p}: [pixit] signing_key and signing_command: declare one of them")
    if "signing_key" in pixit:
        where = f"{p}: [pixit] signing_key"
        path, pem = _read(p, where, pixit["signing_key"])
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise PicsError(f"{where}: {path} is not an unencrypted PEM private key") from None
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
            raise PicsError(f"{where}: {path} is not an ECDSA P-256 (secp256r1) private key")
        out["signing_key_pem"] = pem
    if "signing_command" in pixit:
        out["signing_command"] = _text_value(f"{p}: [pixit] signing_command", pixit["signing_command"])
        if public_key_pem is None:
            raise PicsError(f"{p}: [pixit] signing_command needs [device] public_key, to check what it signs")
    for name in ("newer_image", "older_image"):
        if name in pixit:
            path, data = _read(p, f"{p}: [pixit] {name}", pixit[name], limit=_MAX_SUPPLIED_BYTES)
            out[name] = SuppliedImage(data, f"pixit.{name} ({path.name})")
    if "older_image" in out and "newer_image" not in out:
        raise PicsError(f"{p}: [pixit] older_image needs newer_image too")
    if "newer_image" in out and ("signing_key_pem" in out or "signing_command" in out):
        raise PicsError(f"{p}: [pixit] newer_image with a signing key: declare the key (the suite then "
                        "makes every image) or the signed images, not both")
    if public_key_pem is not None and not out:
        raise PicsError(f"{p}: [device] public_key needs [pixit] signing_key, signing_command or "
                        "newer_image: without one the suite cannot make an image the device accepts")
    return out


# ------------------------------------------------------------------------------ the DCC's PIXIT
#: The PIXIT durations a DCC declares (TOML key under [alerts] -> the harness's name). The
#: minutes set none of these figures ("suggested", "proposed", "a short time after").
DCC_PIXIT_KEYS = {"service_level": "alert_service_level_ms",
                  "stagger_interval": "alert_stagger_interval_ms",
                  "version_confirmation_delay": "version_confirmation_delay_ms"}
#: What the reference DCC declares of itself (conformance/models/dcc.py is built to keep it).
REFERENCE_DCC_PIXIT = {"alert_service_level_ms": 24 * 3_600_000, "alert_stagger_interval_ms": 1_000,
                       "version_confirmation_delay_ms": 30 * 60_000}


@dataclass(frozen=True)
class DccPixit:
    """The figures the DCC under test declares (``--hanota-dcc-pixit FILE``). A scenario that
    needs a figure the DCC did not declare is not applicable: the suite invents none."""

    durations: dict[str, int] = field(default_factory=dict)
    source: str = "no DCC PIXIT declared"


def reference_dcc_pixit() -> DccPixit:
    return DccPixit(dict(REFERENCE_DCC_PIXIT), "the reference DCC's declaration")


def load_dcc_pixit(path: str | Path) -> DccPixit:
    """Read a DCC PIXIT file: ``[alerts]`` with ``service_level``, ``stagger_interval`` and
    ``version_confirmation_delay`` as durations ("24 hours", "1 second"), each optional."""
    from .params import parse_duration

    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PicsError(f"{p}: no such DCC PIXIT file") from None
    except tomllib.TOMLDecodeError as err:
        raise PicsError(f"{p}: not valid TOML: {err}") from None
    if set(data) - {"alerts"}:
        raise PicsError(f"{p}: unknown table(s) {sorted(set(data) - {'alerts'})}; expected alerts")
    alerts = data.get("alerts", {})
    if not isinstance(alerts, dict):
        raise PicsError(f"{p}: [alerts] must be a table")
    if extra := set(alerts) - set(DCC_PIXIT_KEYS):
        raise PicsError(f"{p}: [alerts] unknown key(s) {sorted(extra)}; known: {sorted(DCC_PIXIT_KEYS)}")
    out: dict[str, int] = {}
    for key, value in alerts.items():
        try:
            out[DCC_PIXIT_KEYS[key]] = parse_duration(str(value)).resolve({})
        except (HarnessUsageError, AssertionError):
            raise PicsError(f"{p}: [alerts] {key}: {value!r} is not a duration such as '24 hours'") from None
    return DccPixit(out, str(p))
