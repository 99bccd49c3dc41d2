"""The entry point editors run: ``python build.py [build] [options]`` (see README.md)."""

from portal.cli import run

if __name__ == "__main__":
    run()
