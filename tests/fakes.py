"""Small stand-ins shared by the tests."""

from __future__ import annotations


class MetaState:
    """The part of a state that spiders use between runs: its meta table."""

    def __init__(self) -> None:
        self.meta: dict[str, str] = {}

    def get_meta(self, key: str) -> str | None:
        return self.meta.get(key)

    def set_meta(self, key: str, value: str) -> None:
        self.meta[key] = value
