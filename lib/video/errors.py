"""The one error type for bad video input; its message is shown to the user as is."""


class VideoError(ValueError):
    """A video could not be used. The message says what is wrong and what to do about it."""
