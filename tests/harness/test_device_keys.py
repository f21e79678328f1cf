"""The device's key (issue 14): the declared public key is checked, the PIXIT signing key or
command signs every image, supplied images stand for the scenarios' images where they can, and
the pre-flight proves the pair before any scenario."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from hanota.conformance.params import Relation, parse_size
from hanota.conformance.pics import PicsError, load_pics
from hanota.conformance.signing import ImageUnavailableError, SigningError, check_images, supplied_image
from hanota.protocol.ota_image import build_gbcs_image


def _key(tmp: Path, name: str,
         curve: ec.EllipticCurve | None = None) -> tuple[Path, Path, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(curve or ec.SECP256R1())
    private = tmp / f"{name}.pem"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    public = tmp / f"{name}-pub.pem"
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public, key


def _pics(tmp: Path, *, device: str = "", pixit: str = "") -> Path:
    path = tmp / "device.toml"
    path.write_text("[device]\nkind = \"ppmid\"\nmanufacturer_code = 0x1234\nimage_type = 0x0101\n"
                    f"file_version = 0x00000100\n{device}\n[pixit]\n{pixit}\n", encoding="utf-8")
    return path


def _image(tmp: Path, name: str, key: ec.EllipticCurvePrivateKey, version: int, **identity: int) -> Path:
    path = tmp / name
    fields = {"manufacturer_code": 0x1234, "image_type": 0x0101, **identity}
    path.write_bytes(build_gbcs_image(file_version=version, manufacturer_image=bytes(range(256)) * 40,
                                      private_key=key, **fields))  # type: ignore[arg-type]
    return path


# ------------------------------------------------------------------ the declared public key
@pytest.mark.parametrize("content, words", [
    ("-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n", "not a PEM public key"),
    ('{"kty": "EC"}', "not a PEM public key"),
    ("private", "a private key: declare its public half"),
    ("p384", "not an ECDSA P-256"),
])
def test_a_declared_public_key_that_is_not_a_p256_public_key_is_refused(
        tmp_path: Path, content: str, words: str) -> None:
    private, _, _ = _key(tmp_path, "mfr")
    key_file = tmp_path / "declared.pem"
    if content == "private":
        key_file.write_bytes(private.read_bytes())
    elif content == "p384":
        _, public, _ = _key(tmp_path, "p384", ec.SECP384R1())
        key_file = public
    else:
        key_file.write_text(content, encoding="utf-8")
    path = _pics(tmp_path, device=f'public_key = "{key_file.name}"', pixit=f'signing_key = "{private.name}"')
    with pytest.raises(PicsError) as err:
        load_pics(path)
    assert words in str(err.value) and "[device] public_key" in str(err.value)
    assert "\n" not in str(err.value)


def test_a_declared_public_key_without_a_way_to_make_images_is_refused(tmp_path: Path) -> None:
    _, public, _ = _key(tmp_path, "mfr")
    with pytest.raises(PicsError, match="cannot make an image the device accepts"):
        load_pics(_pics(tmp_path, device=f'public_key = "{public.name}"'))


@pytest.mark.parametrize("pixit, words", [
    ('signing_key = "absent.pem"', "cannot read"),
    ('signing_key = "device.toml"', "not an unencrypted PEM private key"),
    ('signing_key = "mfr.pem"\nsigning_command = "cat"', "declare one of them"),
    ('older_image = "x.bin"', "cannot read"),
    ('signing_keys = "mfr.pem"', "unknown key(s) ['signing_keys']"),
])
def test_bad_pixit_signing_entries_are_one_line_errors(tmp_path: Path, pixit: str, words: str) -> None:
    _, public, _ = _key(tmp_path, "mfr")
    with pytest.raises(PicsError) as err:
        load_pics(_pics(tmp_path, device=f'public_key = "{public.name}"', pixit=pixit))
    assert words in str(err.value), err.value


# ------------------------------------------------------------------ the pre-flight proof
def test_the_pre_flight_proves_a_matching_pair_and_stops_on_a_mismatched_one(tmp_path: Path) -> None:
    private, public, _ = _key(tmp_path, "mfr")
    _, other_public, _ = _key(tmp_path, "other")
    good = load_pics(_pics(tmp_path, device=f'public_key = "{public.name}"',
                           pixit=f'signing_key = "{private.name}"'))
    assert "verified under the declared public key" in check_images(good)
    bad = load_pics(_pics(tmp_path, device=f'public_key = "{other_public.name}"',
                          pixit=f'signing_key = "{private.name}"'))
    with pytest.raises(SigningError, match="the two keys are not a pair"):
        check_images(bad)


def _signing_script(tmp: Path, key_file: Path, *, raw: bool = False, fail: bool = False) -> str:
    script = tmp / "sign.py"
    script.write_text(
        "import sys\n"
        "from cryptography.hazmat.primitives import hashes, serialization\n"
        "from cryptography.hazmat.primitives.asymmetric import ec\n"
        "from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature\n"
        + ("sys.exit('the HSM is locked')\n" if fail else "")
        + f"key = serialization.load_pem_private_key(open({str(key_file)!r}, 'rb').read(), None)\n"
        "der = key.sign(sys.stdin.buffer.read(), ec.ECDSA(hashes.SHA256()))\n"
        + ("r, s = decode_dss_signature(der)\nder = r.to_bytes(32, 'big') + s.to_bytes(32, 'big')\n"
           if raw else "")
        + "sys.stdout.buffer.write(der)\n", encoding="utf-8")
    return f"{sys.executable} {script}"


@pytest.mark.parametrize("raw", [False, True], ids=["der", "r||s"])
def test_a_signing_command_signs_what_the_declared_key_verifies(tmp_path: Path, raw: bool) -> None:
    private, public, _ = _key(tmp_path, "mfr")
    command = _signing_script(tmp_path, private, raw=raw)
    pics = load_pics(_pics(tmp_path, device=f'public_key = "{public.name}"',
                           pixit=f"signing_command = {command!r}"))
    assert "pixit.signing_command" in check_images(pics)


def test_a_failing_signing_command_is_one_line(tmp_path: Path) -> None:
    private, public, _ = _key(tmp_path, "mfr")
    pics = load_pics(_pics(tmp_path, device=f'public_key = "{public.name}"',
                           pixit=f"signing_command = {_signing_script(tmp_path, private, fail=True)!r}"))
    with pytest.raises(SigningError) as err:
        check_images(pics)
    assert "exited with status 1: the HSM is locked" in str(err.value) and "\n" not in str(err.value)


# ------------------------------------------------------------------ supplied images
def test_supplied_images_are_checked_against_the_key_and_the_device(tmp_path: Path) -> None:
    _, public, key = _key(tmp_path, "mfr")
    _, _, other = _key(tmp_path, "other")
    _image(tmp_path, "new.bin", key, 0x200)
    _image(tmp_path, "old.bin", key, 0x50)
    _image(tmp_path, "foreign.bin", other, 0x200)
    _image(tmp_path, "stale.bin", key, 0x100)
    _image(tmp_path, "theirs.bin", key, 0x200, image_type=0x0102)
    declared = f'public_key = "{public.name}"'
    both = 'newer_image = "new.bin"\nolder_image = "old.bin"'
    good = load_pics(_pics(tmp_path, device=declared, pixit=both))
    assert "verified under the declared public key" in check_images(good)
    for name, words in [("foreign.bin", "does not verify under the declared public key"),
                        ("stale.bin", "is not newer than the device's"),
                        ("theirs.bin", "image_type 0x102 (the device: 0x101)")]:
        pics = load_pics(_pics(tmp_path, device=declared, pixit=f'newer_image = "{name}"'))
        with pytest.raises(SigningError, match="pre-flight") as err:
            check_images(pics)
        assert words in str(err.value), err.value


def test_a_supplied_image_stands_only_for_images_it_can_be(tmp_path: Path) -> None:
    _, public, key = _key(tmp_path, "mfr")
    _image(tmp_path, "new.bin", key, 0x200)
    pics = load_pics(_pics(tmp_path, device=f'public_key = "{public.name}"', pixit='newer_image = "new.bin"'))
    data, version = supplied_image(pics, parse_size("200 kB"), Relation.NEWER, zigbee=False, taken={0x100})
    assert version == 0x200 and data == (tmp_path / "new.bin").read_bytes()
    for size, relation, zigbee, taken, words in [
        ("the size limit", Relation.NEWER, False, {0x100}, "exactly 768,000 bytes"),
        ("header only", Relation.NEWER, False, {0x100}, "exactly header only"),
        ("the declared capacity + 1 byte", Relation.NEWER, False, {0x100},
         "exactly the declared capacity +1 bytes"),
        ("200 kB", Relation.OLDER, False, {0x100}, "an older signed image (pixit.older_image)"),
        ("200 kB", Relation.SAME, False, {0x100}, "the device's own file version"),
        ("200 kB", Relation.NEWER, True, {0x100}, "ZigBee OTA image"),
        ("200 kB", Relation.NEWER, False, {0x100, 0x200}, "a second newer signed image"),
    ]:
        with pytest.raises(ImageUnavailableError) as err:
            supplied_image(pics, parse_size(size), relation, zigbee=zigbee, taken=taken)
        assert words in str(err.value) and "pixit.signing_key" in str(err.value), err.value
