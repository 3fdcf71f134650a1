"""``python -m notecheck``: the same command line as ``notecheck``."""

from notecheck.cli import app

if __name__ == "__main__":
    app(prog_name="notecheck")
