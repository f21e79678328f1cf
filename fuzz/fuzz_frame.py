"""Fuzz target: the frame parsers (ZCL header and OTA cluster commands; GBCS frames and payloads).

The first byte chooses the parser, the rest is its input:

- even: ``decode_command`` (ZCL frame of the OTA cluster, including the global commands);
- odd, ``& 0x02`` clear: ``gbcs.decode_frame`` then the frame's payload;
- odd, ``& 0x02`` set: ``gbcs.decode_payload`` with the message code (2 bytes) and CRA flag
  (1 byte) that follow, then the DER content.

A refusal must be a ProtocolError naming a field and an offset inside the input. Whatever is
accepted must encode back: a ZCL frame to the same bytes (the decoder is strict, so there is
one encoding), the fast Image Block Response path must agree with the interpreted parse, and a
GBCS frame or payload must encode to bytes that decode to the same value.
"""

from __future__ import annotations

from ._harness import ContractError, check_error, fuzz_main, instrumented

with instrumented(__name__):
    from hanota.protocol import gbcs
    from hanota.protocol.errors import ProtocolError
    from hanota.protocol.ota_commands import _decode_interpreted, decode_command, encode_command


def _zcl(frame: bytes) -> None:
    try:
        header, command = decode_command(frame)
    except ProtocolError as err:
        check_error(err, len(frame))
        return
    if _decode_interpreted(frame) != (header, command):
        raise ContractError("the fast path and the interpreted parse disagree")
    again = encode_command(command, tsn=header.tsn, disable_default_response=header.disable_default_response,
                           manufacturer_code=header.manufacturer_code)
    if again != frame:
        raise ContractError(f"decoded {command!r} encodes to {again.hex()}, not {frame.hex()}")


def _gbcs_frame(data: bytes) -> None:
    try:
        frame = gbcs.decode_frame(data)
    except ProtocolError as err:
        check_error(err, len(data))
        return
    if gbcs.decode_frame(gbcs.encode_frame(frame)) != frame:
        raise ContractError("a decoded GBCS frame does not survive encode then decode")
    try:
        payload = frame.payload()
    except ProtocolError as err:
        check_error(err, len(data))
        return
    _payload_roundtrip(payload)


def _payload_roundtrip(payload: gbcs.GbcsPayload) -> None:
    content = gbcs.encode_payload(payload)
    if gbcs.decode_payload(payload.MESSAGE_CODE, payload.CRA_FLAG, content) != payload:
        raise ContractError(f"decoded {payload!r} does not survive encode then decode")


def _gbcs_payload(data: bytes) -> None:
    if len(data) < 3:
        return
    code, cra, content = int.from_bytes(data[:2], "big"), data[2], data[3:]
    try:
        payload = gbcs.decode_payload(code, cra, content)
    except ProtocolError as err:
        check_error(err, len(content))
        return
    _payload_roundtrip(payload)


def TestOneInput(data: bytes) -> None:  # the name atheris and libFuzzer expect
    if not data:
        return
    selector, rest = data[0], data[1:]
    if not selector & 0x01:
        _zcl(rest)
    elif not selector & 0x02:
        _gbcs_frame(rest)
    else:
        _gbcs_payload(rest)


if __name__ == "__main__":
    fuzz_main(TestOneInput)
