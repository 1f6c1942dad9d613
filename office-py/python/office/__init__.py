"""office: office files plus a request in plain language, turned into results."""

from office._office import __version__, validate

__all__ = ["__version__", "validate"]
