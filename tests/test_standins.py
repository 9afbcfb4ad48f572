"""wizard.standins: a module's stand-in loads the real module on first use, and nothing holding it notices; the
logging stand-in's loggers drop only what an unconfigured logging would drop, and say the rest. Each case runs in
a fresh interpreter: a stand-in only works for a module not imported yet."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )


def test_a_stand_in_loads_the_real_module_on_first_use_and_keeps_answering() -> None:
    done = run("""
        import json, sys
        from wizard.standins import is_stand_in, stand_in
        stand_in("colorsys")
        import colorsys  # the stand-in: nothing loaded yet
        held = colorsys
        before = is_stand_in(sys.modules["colorsys"])
        rgb = colorsys.hsv_to_rgb(0.0, 1.0, 1.0)  # the first use loads it
        import colorsys as again
        print(json.dumps({
            "before": before, "rgb": rgb, "real_now": not is_stand_in(sys.modules["colorsys"]),
            "import_gives_real": again is sys.modules["colorsys"] and again is not held,
            "held_still_works": held.rgb_to_hsv(1.0, 0.0, 0.0) == again.rgb_to_hsv(1.0, 0.0, 0.0),
            "twice": stand_in("colorsys") is None,
        }))
    """)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["before"] is True
    assert seen["rgb"] == [1.0, 0.0, 0.0]
    assert seen["real_now"] and seen["import_gives_real"] and seen["held_still_works"]
    assert seen["twice"], "a module already in sys.modules got a stand-in"


def test_a_missing_attribute_is_still_an_attribute_error() -> None:
    done = run("""
        from wizard.standins import stand_in
        stand_in("colorsys")
        import colorsys
        try:
            colorsys.no_such_function
        except AttributeError as exc:
            print("AttributeError", exc)
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("AttributeError")


def test_a_submodule_of_a_stood_in_package_imports() -> None:
    done = run("""
        import sys
        from wizard.standins import is_stand_in, stand_in_for_logging
        stand_in_for_logging()
        import logging.handlers
        handler = logging.handlers.RotatingFileHandler
        print(logging is sys.modules["logging"], not is_stand_in(logging), handler.__name__)
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "RotatingFileHandler"]


def test_a_lazy_logger_drops_debug_without_loading_logging_and_reports_warnings() -> None:
    done = run("""
        import sys
        from wizard.standins import is_stand_in, stand_in_for_logging
        stand_in_for_logging()
        import logging
        log = logging.getLogger("asyncio")
        log.debug("quiet %s", 1)
        log.info("quiet too")
        print("enabled:", log.isEnabledFor(logging.DEBUG), log.isEnabledFor(logging.WARNING))
        print("loaded after debug:", not is_stand_in(sys.modules["logging"]))
        log.warning("something went wrong: %s", "this")
        print("loaded after warning:", not is_stand_in(sys.modules["logging"]))
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "enabled: False True",
        "loaded after debug: False",
        "loaded after warning: True",
    ]
    assert done.stderr == "something went wrong: this\n"  # logging's last-resort handler, as without the stand-in


def test_a_lazy_logger_follows_logging_once_configured_and_names_its_caller() -> None:
    done = run("""
        from wizard.standins import stand_in_for_logging
        stand_in_for_logging()
        import logging
        log = logging.getLogger("early")  # got from the stand-in, before logging is configured
        import logging as real
        real.basicConfig(level=real.DEBUG, format="%(name)s %(levelname)s %(module)s:%(lineno)d %(message)s")
        log.debug("now %s", "shown")
        print(log.isEnabledFor(real.DEBUG), logging.getLogger("early") is real.getLogger("early"))
    """)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "early DEBUG <string>:8 now shown\n"
    assert done.stdout.split() == ["True", "True"]
