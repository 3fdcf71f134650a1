"""``python -m notecheck``: the same command line as ``notecheck``."""

from notecheck.cli import main

if __name__ == "__main__":
    main()
