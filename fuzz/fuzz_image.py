"""Fuzz target: the image parser behind ``hanota inspect`` (ZigBee OTA file, GBCS Upgrade Image).

Per input: ``parse_image`` in each of its three modes (decide from the bytes, ZigBee only,
GBCS only). A refusal must be a ProtocolError naming a field and an offset inside the file.
An accepted image must render as ``hanota inspect`` renders it (text and ``--json``), answer a
signature check with a project error, read the same when its format is named, and split into
fragments that reassemble to the same bytes.
"""

from __future__ import annotations

import json

from ._harness import ContractError, check_error, fuzz_main, instrumented

with instrumented(__name__):
    from hanota.conformance.commands.inspect import _text as inspect_text
    from hanota.protocol.errors import ProtocolError
    from hanota.protocol.fragments import reassemble, split_image
    from hanota.protocol.ota_image import ImageFormat, OtaImage, image_to_json, parse_image
    from hanota.protocol.signatures import generate_test_key, verify_image

_KEY = generate_test_key().public_key()
#: Fragments small enough that a few-kB input becomes several of them.
_FRAGMENT_BYTES = 240


def _accepted(data: bytes, image: OtaImage) -> None:
    info = image_to_json(image, signature_verdict=None)
    json.dumps(info)
    inspect_text(image, info)
    try:
        verify_image(image, _KEY)
    except ProtocolError as err:
        check_error(err, len(data))
    again = parse_image(data, expected_format=image.format)
    if again != image:
        raise ContractError(f"read as {image.format.value} by name, the file parses differently")
    parts = split_image(data, max_bytes=_FRAGMENT_BYTES, fmt=image.format)
    if len(data) <= _FRAGMENT_BYTES:
        if parts != [data]:
            raise ContractError("an image within the limit was fragmented")
        return
    if reassemble(parts, max_fragment_bytes=_FRAGMENT_BYTES) != data:
        raise ContractError("split_image then reassemble did not give the image back")


def TestOneInput(data: bytes) -> None:  # the name atheris and libFuzzer expect
    for fmt in (None, ImageFormat.ZIGBEE_OTA, ImageFormat.GBCS):
        try:
            image = parse_image(data, expected_format=fmt)
        except ProtocolError as err:
            check_error(err, len(data))
            continue
        if fmt is None:
            _accepted(data, image)


if __name__ == "__main__":
    fuzz_main(TestOneInput)
