"""The version of scratchnn (one place: the package, saved model files and the CLI read it)."""
__version__ = "0.1.0"
