"""Marked rows: a set of row keys with the operations the keyboard offers (toggle, range, all matching, invert)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


class Marks:
    """Row keys the admin marked for a bulk action; survives filtering, sorting and ticks.

    Marks of rows that vanish (a destroyed or migrated CT) are dropped by ``retain``.
    """

    __slots__ = ("_keys",)

    def __init__(self) -> None:
        self._keys: set[str] = set()

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(self._keys)

    def toggle(self, key: str) -> bool:
        """Flip one mark; return whether the row is now marked."""
        if key in self._keys:
            self._keys.discard(key)
            return False
        self._keys.add(key)
        return True

    def mark(self, keys: Iterable[str]) -> set[str]:
        """Mark every key; return those that changed."""
        changed = {key for key in keys if key not in self._keys}
        self._keys |= changed
        return changed

    def unmark(self, keys: Iterable[str]) -> set[str]:
        changed = {key for key in keys if key in self._keys}
        self._keys -= changed
        return changed

    def mark_range(self, order: Sequence[str], anchor: str, current: str) -> set[str]:
        """Mark every row between ``anchor`` and ``current`` (inclusive) in the displayed ``order``."""
        try:
            start, end = order.index(anchor), order.index(current)
        except ValueError:
            return self.mark([current])
        low, high = sorted((start, end))
        return self.mark(order[low : high + 1])

    def invert(self, visible: Iterable[str]) -> set[str]:
        """Flip every visible row's mark (hidden marks stay as they are); return the changed keys."""
        changed = set(visible)
        self._keys ^= changed
        return changed

    def clear(self) -> set[str]:
        changed, self._keys = self._keys, set()
        return changed

    def retain(self, existing: Iterable[str] | set[str]) -> None:
        self._keys &= set(existing)
