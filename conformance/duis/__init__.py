"""The DUIS binding of the DCC side: the DCC's real interface (issue 17, docs/dcc-duis.md).

``client.DuisDccSide`` is a :class:`~conformance.dcc_side.DccSide` that sends signed DUIS Service
Requests to a DCC system and judges the signed Responses and Alerts it receives at its own
response address; ``server`` serves the reference DCC over DUIS (``hanota serve-dcc --binding
duis``); ``config`` reads the DCC PIXIT naming identities, keys, certificates, the schema and
the optional test-control channel; ``mapping`` translates between DUIS and the reference
world's records (no I/O). The wire format itself is ``protocol.duis``.
"""
