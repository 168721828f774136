"""Cross-source deduplication core (no Scrapy): one stable ``id`` per notice.

A record is a duplicate of a known notice, checked in this order, when

1. ``url``: its canonical URL was seen before;
2. ``docno``: it has the same canonical 发文字号 and a compatible issuer
   (equal after canonicalisation, or one of them missing or containing the other);
3. ``body``: its canonical body (:func:`gazette.text.canon.canonical_body`)
   hashes the same;
4. ``near``: MinHash-LSH over character shingles of the canonical body finds a
   known notice whose estimated Jaccard similarity is at least
   :data:`VERIFY_THRESHOLD`.

Different 发文字号 (both present, not equal) always means different
documents, however similar the text (checks 3 and 4).

A new notice gets a stable ``id`` derived from its first copy (its 文号 and
issuer, else its canonical body), so re-exporting the same first copy after a
lost state gives the same ``id``. A duplicate is recorded as another source
of the known ``id``.

The MinHash signature is datasketch's ``affine32`` scheme
(``MinHash(num_perm, seed).update_batch`` with pre-hashed shingles),
vectorised over all shingles of a body at once; the LSH bands (sizes from
``datasketch.lsh._optimal_param``) live in the state, not in memory.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
from datasketch import MinHash
from datasketch.lsh import _optimal_param
from datasketch.minhash import _fmix

from gazette.state.base import NoticeInfo, State
from gazette.text.canon import body_hash, canonical_body, canonical_issuer, canonical_url

NUM_PERM = 64
SEED = 1
SHINGLE = 5  # characters per shingle
LSH_THRESHOLD = 0.5  # the threshold the LSH bands are tuned for
VERIFY_THRESHOLD = 0.5  # estimated Jaccard needed to call a candidate a duplicate
MIN_NEAR_CHARS = 40  # shorter canonical bodies are only matched exactly
_P = np.uint64(0x100000001B3)  # polynomial base of the rolling shingle hash (FNV prime)


@dataclass
class Verdict:
    """What the dedup stage decided for one record."""

    id: str
    kind: str  # "new", "url", "docno", "body" or "near"
    similarity: float = 1.0

    @property
    def duplicate(self) -> bool:
        return self.kind != "new"


def shingle_hashes(canon: str, k: int = SHINGLE) -> np.ndarray:
    """32-bit hashes of the character ``k``-shingles of ``canon`` (uint32 array).

    >>> len(shingle_hashes("abcdefg", 5)), len(shingle_hashes("abc", 5)), len(shingle_hashes(""))
    (3, 1, 0)
    """
    if not canon:
        return np.zeros(0, dtype=np.uint32)
    codes = np.frombuffer(canon.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = len(codes)
    k = min(k, n)
    m = n - k + 1
    h = codes[:m].copy()
    for j in range(1, k):  # Horner, in place: h = h * P + codes[j:j+m]
        np.multiply(h, _P, out=h)
        np.add(h, codes[j : j + m], out=h)
    h ^= h >> np.uint64(29)
    h ^= h >> np.uint64(32)
    return h.astype(np.uint32)


class MinHasher:
    """Signatures and LSH band keys, compatible with datasketch's MinHash."""

    def __init__(
        self, num_perm: int = NUM_PERM, seed: int = SEED, threshold: float = LSH_THRESHOLD
    ):
        template = MinHash(num_perm=num_perm, seed=seed)
        self.num_perm = num_perm
        self.seed = seed
        self.threshold = threshold
        self.a = template.permutations[0].astype(np.uint32)
        self.b = template.permutations[1].astype(np.uint32)
        self.b_column = self.b.reshape(-1, 1)
        self.bands, self.rows = _optimal_param(threshold, num_perm, 0.5, 0.5)
        self._band_hashers = [
            hashlib.blake2b(digest_size=8, person=b"b%d" % i) for i in range(self.bands)
        ]
        self.params = f"minhash:affine32:{num_perm}:{seed}:k{SHINGLE}:b{self.bands}:r{self.rows}"

    def signature(self, hashes: np.ndarray) -> np.ndarray:
        """MinHash values (uint32, ``num_perm``) of pre-hashed shingles.

        >>> mh = MinHasher(num_perm=16)
        >>> hv = shingle_hashes("关于进一步加强政府信息公开工作的通知")
        >>> ref = MinHash(num_perm=16, seed=1, hashfunc=int); ref.update_batch(hv.tolist())
        >>> bool((mh.signature(hv) == ref.hashvalues).all())
        True
        """
        if len(hashes) == 0:
            return np.full(self.num_perm, np.iinfo(np.uint32).max, dtype=np.uint32)
        with np.errstate(over="ignore"):
            mixed = _fmix(hashes.astype(np.uint32), 32)
            phv = np.multiply.outer(self.a, mixed)  # (num_perm, shingles), uint32, wraps
            phv += self.b_column
        return np.asarray(phv.min(axis=1), dtype=np.uint32)  # contiguous rows: fast

    def sketch(self, canon: str) -> tuple[np.ndarray, list[int]]:
        """Signature and LSH band keys of a canonical body."""
        sig = self.signature(shingle_hashes(canon))
        return sig, self.band_keys(sig)

    def band_keys(self, sig: np.ndarray) -> list[int]:
        """One signed 64-bit key per LSH band (band index included)."""
        raw = sig[: self.bands * self.rows].tobytes()
        step = self.rows * 4
        keys = []
        for i, h in enumerate(self._band_hashers):
            d = h.copy()  # blake2b(digest_size=8, person=b"b<i>"), set up once
            d.update(raw[i * step : (i + 1) * step])
            keys.append(int.from_bytes(d.digest(), "little", signed=True))
        return keys

    @staticmethod
    def jaccard(a: np.ndarray, b: bytes | np.ndarray) -> float:
        """Estimated Jaccard similarity of two signatures."""
        other = np.frombuffer(b, dtype=np.uint32) if isinstance(b, bytes | bytearray) else b
        if len(other) != len(a):
            return 0.0
        return float(np.count_nonzero(a == other)) / len(a)


@dataclass(frozen=True)
class BodyPrints:
    """What dedup needs from a body: the exact hash and, when long enough, the
    MinHash signature and its LSH band keys. Pure computation (no state)."""

    bhash: str  # "" for an empty canonical body
    near: bool  # long enough for near-duplicate matching
    signature: bytes | None = None
    bands: tuple[int, ...] = ()


def body_prints(body: str | None, hasher: MinHasher) -> BodyPrints:
    """:class:`BodyPrints` of a body (the signature only when it is long enough).

    >>> p = body_prints("各地级以上市人民政府：" * 5, MinHasher())
    >>> p.near, len(p.bhash), len(p.signature), len(p.bands)
    (True, 32, 256, 14)
    >>> short = body_prints("短", MinHasher()); short.near, short.signature, short.bands
    (False, None, ())
    """
    canon = canonical_body(body)
    if len(canon) < MIN_NEAR_CHARS:
        return BodyPrints(body_hash(canon) if canon else "", False)
    sig, bands = hasher.sketch(canon)
    return BodyPrints(body_hash(canon), True, sig.tobytes(), tuple(bands))


def make_id(doc_number: str | None, issuer: str, bhash: str) -> str:
    """Stable id of a notice from its first copy.

    >>> make_id("粤府办〔2013〕52号", "广东省人民政府办公厅", "x") == make_id("粤府办〔2013〕52号", "广东省人民政府办公厅", "y")
    True
    >>> len(make_id(None, "", "abc"))
    21
    """
    key = f"docno:{doc_number}|{issuer}" if doc_number else f"body:{bhash}"
    return "g" + hashlib.blake2b(key.encode("utf-8"), digest_size=10).hexdigest()


def _docno_compatible(a: str | None, b: str | None) -> bool:
    return not (a and b and a != b)


def _issuer_compatible(a: str, b: str) -> bool:
    return not a or not b or a in b or b in a


class Deduplicator:
    """Decide new vs duplicate for records and keep the state up to date."""

    def __init__(self, state: State, hasher: MinHasher | None = None, keep_records: bool = True):
        self.state = state
        self.hasher = hasher or MinHasher()
        self.keep_records = keep_records
        known = state.get_meta("lsh_params")
        if known is None:
            state.set_meta("lsh_params", self.hasher.params)
        elif known != self.hasher.params:
            raise RuntimeError(
                f"state {state.location} was built with {known}, not {self.hasher.params}; "
                "start over with GAZETTE_STATE_RESET=1"
            )

    def check(self, record: dict[str, Any], prints: BodyPrints | None = None) -> Verdict:
        """Classify ``record`` (a dict with the Notice keys) and record it.

        ``prints``: the :func:`body_prints` of its body, when computed
        elsewhere; else what is needed is computed here.
        """
        state = self.state
        url = record.get("url")
        curl = canonical_url(url) if url else None
        docno = record.get("doc_number") or None
        issuer = canonical_issuer(record.get("issuer"))
        canon = ""
        if prints is None:
            canon = canonical_body(record.get("body"))
            bhash = body_hash(canon) if canon else ""
            near = len(canon) >= MIN_NEAR_CHARS
        else:
            bhash, near = prints.bhash, prints.near

        verdict: Verdict | None = None
        known_docno: str | None = None  # the 文号 of the notice a body/near match found
        exact: list[tuple[str, str]] = [
            (kind, key) for kind, key in (("url", curl), ("docno", docno), ("body", bhash)) if key
        ]
        found = dict(zip((kind for kind, _ in exact), state.find_many(exact), strict=True))
        if found.get("url"):
            verdict = Verdict(found["url"][0].id, "url")
        if verdict is None:
            for info in found.get("docno", ()):
                if _issuer_compatible(issuer, info.issuer):
                    verdict = Verdict(info.id, "docno")
                    break
        if verdict is None:
            for info in found.get("body", ()):
                if _docno_compatible(docno, info.doc_number):
                    verdict = Verdict(info.id, "body")
                    known_docno = info.doc_number
                    break
        sig: np.ndarray | None = None
        bands: list[int] = []
        if verdict is None and near:
            if prints is None:
                sig, bands = self.hasher.sketch(canon)
            else:  # near: body_prints computed the signature
                sig = np.frombuffer(prints.signature or b"", dtype=np.uint32)
                bands = list(prints.bands)
            best: tuple[float, str, str | None] | None = None
            infos = [
                info
                for info in state.candidates(bands)
                if info.signature is not None
                and len(info.signature) == sig.nbytes
                and _docno_compatible(docno, info.doc_number)
            ]
            if infos:
                # all candidates in one vectorised comparison
                sigs = np.frombuffer(b"".join(i.signature or b"" for i in infos), dtype=np.uint32)
                sims = (sigs.reshape(len(infos), -1) == sig).mean(axis=1)
                k = int(np.argmax(sims))
                if sims[k] >= VERIFY_THRESHOLD:
                    best = (float(sims[k]), infos[k].id, infos[k].doc_number)
            if best is not None:
                verdict = Verdict(best[1], "near", best[0])
                known_docno = best[2]

        keys = []
        if curl:
            keys.append(("url", curl))
        if bhash:
            keys.append(("body", bhash))
        if verdict is not None:
            state.add_copy(verdict.id, url, dict(record) if self.keep_records else None, keys)
            if docno and known_docno is None and verdict.kind in ("body", "near"):
                # a copy brings the 文号 the first copy lacked: a later copy with
                # another 文号 is then another document, not a third copy
                state.adopt_doc_number(verdict.id, docno)
            return verdict

        if docno:
            keys.append(("docno", docno))
        info = NoticeInfo(
            make_id(docno, issuer, bhash), docno, issuer, None if sig is None else sig.tobytes()
        )
        return Verdict(state.add_new_notice(info, bands, url, keys), "new")
