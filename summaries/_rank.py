"""Vectorised LexRank and TextRank that compute exactly the ranking sumy 0.13 computes.

sumy builds its sentence-similarity matrices with two nested pure-Python loops (quadratic in the
number of sentences, about 12 s at 1,200 sentences). Here the same quantities are computed with
sparse matrix products (scipy), so a story of several thousand sentences ranks in well under a
second. Every formula mirrors sumy's source (``sumy/summarizers/lex_rank.py`` and
``text_rank.py``); tests check that both select the same sentences on small inputs.

Input is one token list per sentence, already normalised the way sumy does it (lower-cased,
stop words removed, stemmed). No sumy import here: this module is pure numpy/scipy.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

log = logging.getLogger(__name__)

# sumy's constants.
LEXRANK_THRESHOLD = 0.1
LEXRANK_EPSILON = 0.1
TEXTRANK_EPSILON = 1e-4
TEXTRANK_DAMPING = 0.85
_TEXTRANK_ZERO_DIVISION_PREVENTION = 1e-7
# Row blocks for the similarity products, so memory stays bounded (a dense 10k x 10k float
# matrix would be 800 MB).
_BLOCK = 2048
_MAX_POWER_ITERATIONS = 10_000
# Up to this many sentences the power method runs on a dense matrix with the very same numpy
# operations as sumy, so the scores are bit-identical (sumy orders mathematically tied
# sentences by float rounding noise; only identical arithmetic reproduces that order).
DENSE_UP_TO = 2000


def _count_matrix(tokens: Sequence[Sequence[str]]) -> tuple[sp.csr_matrix, list[Counter[str]]]:
    """Sentence x term matrix of raw counts, plus the per-sentence counters."""
    vocab: dict[str, int] = {}
    counters = [Counter(t) for t in tokens]
    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for counter in counters:
        for term, count in counter.items():
            indices.append(vocab.setdefault(term, len(vocab)))
            data.append(float(count))
        indptr.append(len(indices))
    matrix = sp.csr_matrix(
        (np.asarray(data, dtype=np.float64), np.asarray(indices, dtype=np.int64), indptr),
        shape=(len(counters), max(len(vocab), 1)),
    )
    return matrix, counters


def lexrank_scores(
    tokens: Sequence[Sequence[str]],
    *,
    threshold: float = LEXRANK_THRESHOLD,
    epsilon: float = LEXRANK_EPSILON,
) -> np.ndarray:
    """LexRank centrality of each sentence, as sumy's ``LexRankSummarizer`` computes it.

    sumy: tf = count / max count in the sentence; idf = log(N / (1 + n_j)) with every sentence a
    document; idf-modified cosine; edges where cosine > threshold (weight 1, self-loops
    included); rows divided by their degree (degree 0 counts as 1); power method on the
    transposed matrix from the uniform vector, L2-normalised each step, until the step changes
    the vector by no more than ``epsilon``.

    Args:
        tokens: One list of normalised terms per sentence.
        threshold: Cosine similarity above which two sentences are linked.
        epsilon: Convergence tolerance of the power method.

    Returns:
        One score per sentence (higher is more central).
    """
    n = len(tokens)
    if n == 0:
        return np.zeros(0)
    counts, _ = _count_matrix(tokens)
    # tf: divide each row by its maximum count.
    row_max = counts.max(axis=1).toarray().ravel()
    row_max[row_max == 0] = 1.0
    tf = sp.diags(1.0 / row_max) @ counts
    df = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float64)
    idf = np.log(n / (1.0 + df))
    weighted = (tf @ sp.diags(idf)).tocsr()
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    inv = np.zeros(n)
    nonzero = norms > 0
    inv[nonzero] = 1.0 / norms[nonzero]
    transposed = weighted.T.tocsc()
    blocks: list[sp.csr_matrix] = []
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        block = (weighted[start:stop] @ transposed).tocsr()
        rows = np.repeat(np.arange(start, stop), np.diff(block.indptr))
        cosine = block.data * inv[rows] * inv[block.indices]
        block.data = (cosine > threshold).astype(np.float64)
        block.eliminate_zeros()
        blocks.append(block)
    adjacency = sp.vstack(blocks).tocsr() if blocks else sp.csr_matrix((n, n))
    degrees = np.asarray(adjacency.sum(axis=1)).ravel()
    degrees[degrees == 0] = 1.0
    if n <= DENSE_UP_TO:
        dense = adjacency.toarray() / degrees[:, np.newaxis]
        return _sumy_power_method(dense, epsilon, normalise=True)
    inv_degrees = 1.0 / degrees
    adjacency_t = adjacency.T.tocsr()
    p = np.full(n, 1.0 / n)
    for _ in range(_MAX_POWER_ITERATIONS):
        # (A / deg)^T p == A^T (p / deg)
        nxt = adjacency_t @ (p * inv_degrees)
        norm = np.linalg.norm(nxt)
        if norm == 0:
            return nxt
        nxt /= norm
        change = np.linalg.norm(nxt - p)
        p = nxt
        if not change > epsilon:
            break
    return p


def textrank_scores(
    tokens: Sequence[Sequence[str]],
    *,
    damping: float = TEXTRANK_DAMPING,
    epsilon: float = TEXTRANK_EPSILON,
) -> np.ndarray:
    """TextRank score of each sentence, as sumy's ``TextRankSummarizer`` computes it.

    sumy: edge weight = number of shared term occurrences (sum over the first sentence's tokens
    of their count in the second) divided by log|s1| + log|s2| (or the raw count when both
    sentences have one token); self-loops included; rows normalised (plus 1e-7); PageRank with
    damping 0.85 and teleport (1 - d) / N, power method without normalisation until the step
    changes the vector by no more than ``epsilon``.

    Args:
        tokens: One list of normalised terms per sentence.
        damping: PageRank damping factor.
        epsilon: Convergence tolerance of the power method.

    Returns:
        One score per sentence (higher is more central).
    """
    n = len(tokens)
    if n == 0:
        return np.zeros(0)
    counts, _ = _count_matrix(tokens)
    # math.log, not np.log: the same rounding as sumy's per-pair math.log calls.
    loglen = np.asarray([math.log(len(t)) if t else 0.0 for t in tokens], dtype=np.float64)
    counts_t = counts.T.tocsc()
    blocks: list[sp.csr_matrix] = []
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        block = (counts[start:stop] @ counts_t).tocsr()
        block.eliminate_zeros()
        rows = np.repeat(np.arange(start, stop), np.diff(block.indptr))
        norm = loglen[rows] + loglen[block.indices]
        near_zero = np.abs(norm) <= 1e-8  # numpy.isclose(norm, 0.) as sumy uses it
        block.data = np.where(near_zero, block.data, block.data / np.where(near_zero, 1.0, norm))
        blocks.append(block)
    weights = sp.vstack(blocks).tocsr() if blocks else sp.csr_matrix((n, n))
    if n <= DENSE_UP_TO:
        dense = weights.toarray()
        dense /= dense.sum(axis=1)[:, np.newaxis] + _TEXTRANK_ZERO_DIVISION_PREVENTION
        full = np.full((n, n), (1.0 - damping) / n) + damping * dense
        return _sumy_power_method(full, epsilon, normalise=False)
    row_sums = np.asarray(weights.sum(axis=1)).ravel() + _TEXTRANK_ZERO_DIVISION_PREVENTION
    weights = (sp.diags(1.0 / row_sums) @ weights).tocsr()
    weights_t = weights.T.tocsr()
    teleport = (1.0 - damping) / n
    p = np.full(n, 1.0 / n)
    for _ in range(_MAX_POWER_ITERATIONS):
        # M = teleport * ones + damping * W, so M^T p = teleport * sum(p) + damping * W^T p.
        nxt = teleport * p.sum() + damping * (weights_t @ p)
        change = np.linalg.norm(nxt - p)
        p = nxt
        if not change > epsilon:
            break
    return p


def _sumy_power_method(matrix: np.ndarray, epsilon: float, *, normalise: bool) -> np.ndarray:
    """sumy's power method, operation for operation (LexRank normalises, TextRank does not)."""
    transposed = matrix.T
    n = len(matrix)
    p = np.array([1.0 / n] * n)
    change = 1.0
    iterations = 0
    while change > epsilon and iterations < _MAX_POWER_ITERATIONS:
        nxt = np.dot(transposed, p)
        if normalise:
            nxt /= np.linalg.norm(nxt)
        change = float(np.linalg.norm(np.subtract(nxt, p)))
        p = nxt
        iterations += 1
    return p


def rank_order(scores: np.ndarray, *, digits: int = 10) -> list[int]:
    """Indices from best to worst score, ties broken by position (as sumy's stable sort does).

    Up to ``DENSE_UP_TO`` sentences the scores are sumy's bit for bit and are sorted as they
    are. Beyond, they are rounded to ``digits`` significant digits first: the sparse sums add
    terms in a different order, and mathematically tied sentences must tie.
    """
    if scores.size == 0:
        return []
    if scores.size <= DENSE_UP_TO:
        return [int(i) for i in np.argsort(-scores, kind="stable")]
    scale = float(np.max(np.abs(scores))) or 1.0
    exponent = math.floor(math.log10(scale))
    rounded = np.round(scores / 10.0**exponent, digits)
    return [int(i) for i in np.argsort(-rounded, kind="stable")]
