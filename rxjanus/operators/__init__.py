"""Reactive operators over sessions, handles and media (one module each)."""

__all__: list[str] = []
