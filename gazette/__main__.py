"""``python -m gazette``: the ``gazette`` command (:func:`gazette.cli.main`)."""

import sys

from gazette.cli import main

if __name__ == "__main__":
    sys.exit(main())
