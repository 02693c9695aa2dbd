"""vendor-emulator: a local emulator of the Asleep and Kintsugi Voice HTTP APIs."""

__version__ = "0.1.0"
