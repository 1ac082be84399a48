"""Janus VideoRoom, the reference SFU, as a bench target (``JanusTarget``)."""

from .target import JanusTarget

__all__ = ["JanusTarget"]
