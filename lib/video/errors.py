"""The one error type for bad video input; its message is shown to the user as is."""

from lib.errors import UserInputError


class VideoError(UserInputError):
    """A video could not be used. The message says what is wrong and what to do about it."""
