from portal.cli import run

run()
