"""Every finding code the program can report is listed, with its meaning, in docs/findings.md."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = re.compile(r"""["'`]((?:dns|spf|dkim|dmarc|mta-sts|tls-rpt|check|message)\.[a-z][a-z0-9-]*)["'`]""")


def codes_in(paths: list[Path]) -> set[str]:
    return {m.group(1) for p in paths for m in CODE.finditer(p.read_text(encoding="utf-8"))}


def test_every_code_in_the_code_is_documented() -> None:
    used = codes_in(sorted((ROOT / "wizard").rglob("*.py")))
    documented = codes_in([ROOT / "docs" / "findings.md"])
    assert len(used) > 60
    assert sorted(used - documented) == []
