"""Entry point of `python -m lib.batch`; see lib/methods/dataset/cli.py and the README."""
import os
import sys

from lib.methods.dataset.cli import main

if __name__ == "__main__":
    code = main()
    # Every row is written and Ray is shut down by now. Leave without the interpreter's teardown: after a run
    # through a Ray cluster, the C++ static destructors at exit() can race Ray's core-worker threads and abort
    # the process ("The futex facility returned an unexpected error code", exit -6) after the work succeeded.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
