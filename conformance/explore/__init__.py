"""``hanota explore``: property-based testing of a device under test (docs/explore.md).

A hypothesis rule-based state machine plays the hub towards the device (:mod:`.machine`),
an observer checks what the specification implies after every step (:mod:`.invariants`), and
a counterexample is shrunk, printed as a transcript and saved for replay (:mod:`.replay`).
"""
