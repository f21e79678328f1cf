"""Image Notify steps (SECMP7-NTFY): notifies the hub the suite plays sends with a given payload
type, query jitter, fields and addressing, and what the device answers; its periodic queries.

Thin glue over :mod:`hanota.conformance.harness.notify`.
"""

from __future__ import annotations

import re

from pytest_bdd import parsers, then, when

from hanota.conformance import params as p
from hanota.conformance.harness import Harness


@when(parsers.parse('the hub {broadcast} {count:d} Image Notify of payload type {payload_type:d} with '
                    'query jitter {jitter:d} naming "{fields}"'),
      converters={"broadcast": p.parse_addressing, "fields": p.parse_notify_fields})
def hub_sends_notifies(harness: Harness, broadcast: bool, count: int, payload_type: int, jitter: int,
                       fields: p.NotifyFields) -> None:
    harness.notifies.send(count, broadcast=broadcast, payload_type=payload_type, jitter=jitter,
                          fields=fields)


class _Share:
    """Only the shares themselves (parse's ``pattern`` protocol): "the device answers with a
    Default Response ..." is another step's."""

    pattern = "|".join(re.escape(share.value) for share in p.NotifyShare)

    def __call__(self, text: str) -> p.NotifyShare:
        return p.parse_notify_share(text)


@then(parsers.parse("the device answers {share:NotifyShare}", extra_types={"NotifyShare": _Share()}))
def device_answers(harness: Harness, share: p.NotifyShare) -> None:
    problem = harness.notifies.check(share)
    assert problem is None, problem


@then(parsers.parse("the device sends a Query Next Image Request in each of {count:d} declared query "
                    "intervals without an Image Notify"))
def periodic_queries(harness: Harness, count: int) -> None:
    problem = harness.notifies.check_periodic(count)
    assert problem is None, problem
