"""The portal publisher: static news portals for Vietnamese public bodies."""

__version__ = "0.1.0"
