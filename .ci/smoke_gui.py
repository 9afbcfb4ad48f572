"""Smoke-test a built bundle's window: it starts offscreen and is still running after a few seconds.

python .ci/smoke_gui.py PATH/TO/BUILT/EXECUTABLE
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

RUNS_FOR = 10.0


def main(executable: str) -> int:
    with tempfile.TemporaryDirectory() as home:
        env = os.environ | {"QT_QPA_PLATFORM": "offscreen", "HOME": home, "APPDATA": home, "XDG_DATA_HOME": home}
        process = subprocess.Popen(
            [str(Path(executable).resolve())], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            _, err = process.communicate(timeout=RUNS_FOR)
        except subprocess.TimeoutExpired:
            process.kill()
            _, err = process.communicate(timeout=30)
            print(f"smoke_gui: the window was still open after {RUNS_FOR:g} s")
            return 0
    print(err[-4000:])
    print(f"smoke_gui: the program exited with {process.returncode} instead of staying open")
    return 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    sys.exit(main(sys.argv[1]))
