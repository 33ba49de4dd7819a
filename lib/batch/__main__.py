"""Entry point of `python -m lib.batch`; see lib/methods/dataset/cli.py and the README."""
import sys

from lib.methods.dataset.cli import main

if __name__ == "__main__":
    sys.exit(main())
