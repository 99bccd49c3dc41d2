from portal.collector import collector_paused

with collector_paused():  # as in build.py: the imports make no garbage
    from portal.cli import run

run()
