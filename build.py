"""The entry point editors run: ``python build.py [build] [options]`` (see README.md)."""

from portal.collector import collector_paused

# The imports make some hundred thousand objects and no garbage: the cyclic collector would
# only scan them over and over (about 7 ms of every start).
with collector_paused():
    from portal.cli import run

if __name__ == "__main__":
    run()
