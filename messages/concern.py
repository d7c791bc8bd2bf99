"""Texts that ask for a person: the check lives with the rest of the reader, messages.reading.concern
(its phrases in messages/reading/vocabulary/<language>.toml [concern]); this module re-exports it."""
from __future__ import annotations

from messages.reading.concern import asks_for_help, concern

__all__ = ["asks_for_help", "concern"]
