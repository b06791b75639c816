"""Errors of the /_sim/ control API (answered as ``{"error": message}`` with the status)."""

from __future__ import annotations


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class StateFileError(Exception):
    """A state file the simulator cannot load (named with the entity at fault)."""
