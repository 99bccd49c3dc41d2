"""The entry point editors run: ``python build.py [build] [options]`` (see README.md)."""

from portal.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
