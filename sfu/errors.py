"""The SFU's errors; signalling maps them to protocol error codes at its edge."""


class SfuError(Exception):
    """Base class of everything the SFU raises on purpose."""


class InvalidSdp(SfuError):
    """An offer or answer could not be parsed or negotiated."""


class NotFound(SfuError):
    """A room, peer or track does not exist (any more)."""


class Closed(SfuError):
    """The object was closed."""


class Unavailable(SfuError):
    """This SFU cannot do it at all (recording asked of one without a recorder)."""
