"""The package version, in one place: ``glassnet.__version__`` and model files read it from here."""

__version__ = "0.1.0"
