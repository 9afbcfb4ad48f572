"""A record's parse is remembered across domains (issue 13's batch), but what a caller can change is its own."""

from __future__ import annotations

import pytest

from wizard.core.spf.record import SpfSyntaxError, parse, parse_lenient


def test_a_bad_record_raises_a_new_error_each_time() -> None:
    text = "v=spf1 ip4:300.1.1.1 ~all"
    raised = []
    for _ in range(2):
        with pytest.raises(SpfSyntaxError) as info:
            parse(text)
        raised.append(info.value)
    first, second = raised
    assert first is not second, "a raised error carries its traceback: it must not be shared"
    assert (
        (first.term, first.start, first.reason)
        == (second.term, second.start, second.reason)
        == ("ip4:300.1.1.1", 7, first.reason)
    )


def test_the_error_list_belongs_to_the_caller() -> None:
    text = "v=spf1 foo:bar ~all"
    _, errors = parse_lenient(text)
    errors.clear()
    record, again = parse_lenient(text)
    assert len(again) == 1 and again[0].term == "foo:bar"
    assert [t.render() for t in record.terms] == ["~all"]
