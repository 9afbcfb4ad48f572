"""Servers that lie or babble give a typed outcome with a reason, within the deadline, never an exception."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from tests.lookup.liar import Liar, Reply, garbage, other_question, truncated, wrong_id
from wizard.cli import main
from wizard.core.answers import Outcome
from wizard.lookup.lookup import Lookup
from wizard.lookup.settings import LookupSettings

CASES = [
    pytest.param(garbage, id="garbage"),
    pytest.param(wrong_id, id="wrong-id"),
    pytest.param(other_question, id="answer-to-another-question"),
    pytest.param(truncated, id="truncated-but-tcp-closed"),
]


def settings(port: int) -> LookupSettings:
    return LookupSettings(
        nameservers=(("127.0.0.1", port),), public_resolvers=False, timeout=2.0, query_timeout=0.3, retries=1
    )


@pytest.mark.parametrize("reply", CASES)
def test_direct_query_to_a_lying_server_is_a_typed_failure(reply: Reply) -> None:
    with Liar(reply) as liar:
        start = time.monotonic()
        answer = asyncio.run(Lookup(settings(liar.port)).query_server("127.0.0.1", liar.port, "example.test", "TXT"))
        elapsed = time.monotonic() - start
    assert answer.outcome in (Outcome.ERROR, Outcome.TIMEOUT)
    assert answer.outcome.is_failure and answer.detail
    assert answer.values == ()
    assert elapsed < 2.0


@pytest.mark.parametrize("reply", CASES)
def test_lying_resolver_gives_a_finding_not_a_traceback(reply: Reply, capsys: pytest.CaptureFixture[str]) -> None:
    with Liar(reply) as liar:
        code = main(
            ["check", "example.test", "--json", "--nameserver", f"127.0.0.1:{liar.port}", "--no-public-resolvers",
             "--timeout", "1"]
        )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in captured.err
    dns = json.loads(captured.out)["domains"][0]["checks"]["dns"]
    assert dns["status"] == "fail"
    assert {f["code"] for f in dns["findings"]} <= {"dns.server-error", "dns.timeout", "dns.server-failure"}
    assert dns["findings"]
