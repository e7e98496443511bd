"""``python -m tests.fuzz --calls N``: the long fuzz campaign (see run.py)."""
import sys

from .run import main

sys.exit(main())
