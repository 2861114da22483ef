"""``python -m leannet ...``: the same as the ``leannet`` command."""

from leannet.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
