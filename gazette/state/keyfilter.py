"""A fixed-size Bloom filter over the state's 64-bit key and band hashes.

Most records of a crawl are new notices: none of their exact keys and none of
their LSH bands is in the state. :class:`KeyFilter` answers "certainly not
there" without a query, so :class:`~gazette.state.sqlite.SQLiteState` only
queries SQLite when some key or band *may* be there. A "maybe" is wrong
with a small probability (:meth:`KeyFilter.false_positive_rate`) and then
costs one query that finds nothing; a "no" is never wrong, because every key
written to the state is added first. Rows deleted (a rolled-back notice)
stay in the filter: a few more queries, nothing missed.

The keys are already uniform 64-bit hashes (blake2b), so the ``k`` bit
positions come from the key itself by double hashing (low and high 32
bits). Keys added one record at a time wait in a small set and are written
into the bit array in bulk (numpy), :data:`BATCH` at a time. Memory is fixed when the filter is built (:func:`bits_for`, at most
:data:`MAX_BITS`), whatever the history: past its planned capacity the
filter only answers "maybe" more often.

>>> f = KeyFilter(1 << 16)
>>> f.add_many([12345, -7]); 12345 in f, -7 in f, 99 in f
(True, True, False)
>>> f.may_contain_any([1, 2, -7]), f.may_contain_any([1, 2, 3])
(True, False)
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

#: bit probes per key (written out in the methods below)
K = 4
#: bits per planned key: with K = 4, about 0.24% false positives at capacity
BITS_PER_KEY = 16
#: planned keys of a new or small state
MIN_KEYS = 1 << 20
#: the largest filter (32 MiB); a bigger history only raises the false-positive rate
MAX_BITS = 1 << 28
#: keys held in a set before they are written into the bit array at once
BATCH = 4096
_M64 = (1 << 64) - 1
_M32 = (1 << 32) - 1


def bits_for(keys: int) -> int:
    """Filter size (a power of two) for a state holding ``keys`` keys now.

    It plans for twice as many (the history grows), at least :data:`MIN_KEYS`.

    >>> bits_for(0) == MIN_KEYS * BITS_PER_KEY, bits_for(3_000_000), bits_for(10**9) == MAX_BITS
    (True, 134217728, True)
    """
    want = max(2 * keys, MIN_KEYS) * BITS_PER_KEY
    return min(MAX_BITS, 1 << max(3, (want - 1).bit_length()))


class KeyFilter:
    """Bloom filter of signed 64-bit keys; ``nbits`` must be a power of two."""

    def __init__(self, nbits: int) -> None:
        if nbits < 8 or nbits & (nbits - 1):
            raise ValueError(f"nbits must be a power of two >= 8, not {nbits}")
        self.nbits = nbits
        self.mask = nbits - 1
        self.bits = bytearray(nbits // 8)
        self.count = 0  # keys added (a repeat may count): the load, for false positives
        self._held: set[int] = set()  # added, not yet in the bit array

    # K = 4 probes, written out: these run for every key of every record

    def __contains__(self, key: int) -> bool:
        return self.may_contain_any((key,))

    def may_contain_any(self, keys: Iterable[int]) -> bool:
        """False only when no key of ``keys`` was ever added."""
        if not isinstance(keys, list | tuple):
            keys = list(keys)
        if self._held and not self._held.isdisjoint(keys):
            return True
        bits, mask = self.bits, self.mask
        for key in keys:
            u = key & _M64
            h1, h2 = u & _M32, (u >> 32) | 1
            p = h1 & mask
            if not (bits[p >> 3] >> (p & 7)) & 1:
                continue
            p = (h1 + h2) & mask
            if not (bits[p >> 3] >> (p & 7)) & 1:
                continue
            p = (h1 + 2 * h2) & mask
            if not (bits[p >> 3] >> (p & 7)) & 1:
                continue
            p = (h1 + 3 * h2) & mask
            if (bits[p >> 3] >> (p & 7)) & 1:
                return True
        return False

    def add_many(self, keys: Iterable[int]) -> None:
        held = self._held
        before = len(held)
        held.update(keys)
        self.count += len(held) - before
        if len(held) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Write the held keys into the bit array."""
        if self._held:
            self._set_bits(np.fromiter(self._held, dtype=np.int64, count=len(self._held)))
            self._held.clear()

    def add_array(self, keys: np.ndarray) -> None:
        """Add an int64 array of keys at once (loading a state).

        >>> f, g = KeyFilter(1 << 12), KeyFilter(1 << 12)
        >>> keys = [-(2**63), -1, 0, 1, 2**63 - 1, 123456789]
        >>> f.add_many(keys); g.add_array(np.array(keys, dtype=np.int64))
        >>> f.bits == g.bits, all(k in f for k in keys)  # f still holds them in its set
        (False, True)
        >>> f.flush(); f.bits == g.bits, f.count == g.count == 6
        (True, True)
        """
        self._set_bits(np.asarray(keys, dtype=np.int64))
        self.count += len(keys)

    def _set_bits(self, keys: np.ndarray) -> None:
        if len(keys) == 0:
            return
        u = keys.view(np.uint64)
        h1 = u & np.uint64(_M32)
        h2 = (u >> np.uint64(32)) | np.uint64(1)
        view = np.frombuffer(self.bits, dtype=np.uint8)
        for i in range(K):
            p = (h1 + np.uint64(i) * h2) & np.uint64(self.mask)
            np.bitwise_or.at(
                view,
                (p >> np.uint64(3)).astype(np.intp),
                (1 << (p & np.uint64(7))).astype(np.uint8),
            )

    def false_positive_rate(self) -> float:
        """The expected rate of wrong "maybe" answers at the current load.

        >>> f = KeyFilter(bits_for(0)); f.false_positive_rate()
        0.0
        >>> f.count = MIN_KEYS; round(f.false_positive_rate(), 4)
        0.0024
        """
        return float((1 - np.exp(-K * self.count / self.nbits)) ** K)
