"""`python -m tests.startup_probe OUT ARGS...`: runs the `email-auth-wizard` entry point with ARGS in this fresh
process and writes to OUT, as JSON, which modules were loaded when its first DNS query left (`at_first_query`,
null when none left) and when it ended (`at_exit`). tests/test_startup.py reads it: the modules a run loads
before it needs them are what its start-up costs."""

from __future__ import annotations

import json
import socket
import sys
from typing import Any

OUT = sys.argv[1]
seen: dict[str, Any] = {"at_first_query": None}


def _modules() -> list[str]:
    """The modules loaded (a stand-in for one, wizard.standins, is not the module)."""
    from wizard.standins import is_stand_in

    return sorted(name for name, module in list(sys.modules.items()) if module is not None and not is_stand_in(module))


def _record() -> None:
    if seen["at_first_query"] is None:
        seen["at_first_query"] = _modules()


def _watch(method: str) -> None:
    original = getattr(socket.socket, method)

    def watched(self: socket.socket, *args: Any) -> Any:
        _record()
        return original(self, *args)

    setattr(socket.socket, method, watched)


for _method in ("sendto", "send", "connect", "connect_ex"):  # a UDP query, or a TCP one's connect
    _watch(_method)


def main() -> int:
    from wizard.cli import main as entry_point
    from wizard.cli import set_up_check_process

    if sys.argv[2:3] == ["check"]:  # as entry() does (which ends the process before this one writes OUT)
        set_up_check_process()
    try:
        return entry_point(sys.argv[2:])
    except SystemExit as exc:  # argparse's --version and --help
        return exc.code if isinstance(exc.code, int) else 0
    finally:
        seen["at_exit"] = _modules()
        with open(OUT, "w", encoding="utf-8") as f:
            json.dump(seen, f)


if __name__ == "__main__":
    sys.exit(main())
