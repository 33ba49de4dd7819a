"""Errors whose message is meant for the person using the app or notebook."""


class UserInputError(ValueError):
    """Bad input or settings from the user. The message is one sentence saying what to do."""
