"""Run a module or script and report its own peak RSS (VmHWM) on stderr at exit.

    python bench/peak.py -m funnel metrics --db F --json      python bench/peak.py bench/pandas_cli.py DIR

wait4's ru_maxrss of a child is not usable here: Linux starts a forked child's high-water mark at the
parent's RSS, so every child of a 250 MiB harness would report >= 250 MiB.
"""

import atexit
import runpy
import sys

MARK = "__PEAK_MIB__"


def _report() -> None:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                sys.stderr.write(f"\n{MARK} {int(line.split()[1]) / 1024:.1f}\n")


atexit.register(_report)
if sys.argv[1] == "-m":
    import os

    sys.path[0] = os.getcwd()  # as `python -m` does
    module = sys.argv[2]
    sys.argv = [module, *sys.argv[3:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
else:
    path = sys.argv[1]
    sys.argv = sys.argv[1:]
    runpy.run_path(path, run_name="__main__")
