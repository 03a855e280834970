"""Plugin handles: one module per Janus plugin."""

from .base import JanusPlugin

__all__ = ["JanusPlugin"]
