"""Errors raised while choosing or loading a model; messages are shown to the user as is."""

from lib.errors import UserInputError


class ModelUnavailableError(UserInputError):
    """A model cannot be used here (unknown name, weights missing, or not downloadable offline)."""
