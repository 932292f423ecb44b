"""ROUGE-1, ROUGE-2 and ROUGE-L F1, computed like Google's ``rouge-score`` with ``use_stemmer=True``.

Tokens: the text is lower-cased, every character other than a-z and 0-9 becomes a space, the
text is split on whitespace, and tokens longer than 3 characters are stemmed with NLTK's Porter
stemmer (as ``rouge_score.tokenize`` does). ROUGE-N F1 counts clipped n-gram matches; ROUGE-L is
the longest common subsequence over the whole summary treated as one sequence (``rougeL``, not
the sentence-split ``rougeLsum``). No dependency beyond NLTK's stemmer, which sumy already brings.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from nltk.stem.porter import PorterStemmer

log = logging.getLogger(__name__)

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_stemmer = PorterStemmer()


@lru_cache(maxsize=200_000)
def _stem(token: str) -> str:
    return str(_stemmer.stem(token)) if len(token) > 3 else token


def tokenize(text: str) -> list[str]:
    """rouge-score's tokenizer with stemming: lower-case alphanumeric tokens, Porter-stemmed."""
    return [_stem(t) for t in _NON_ALNUM.sub(" ", text.lower()).split()]


@dataclass(frozen=True)
class Scores:
    """F1 of ROUGE-1, ROUGE-2 and ROUGE-L for one summary."""

    rouge1: float
    rouge2: float
    rougeL: float


def _f1(overlap: int, hyp_total: int, ref_total: int) -> float:
    if overlap == 0 or hyp_total == 0 or ref_total == 0:
        return 0.0
    precision = overlap / hyp_total
    recall = overlap / ref_total
    return 2 * precision * recall / (precision + recall)


def _ngram_f1(hyp: list[str], ref: list[str], n: int) -> float:
    hyp_grams = Counter(tuple(hyp[i : i + n]) for i in range(len(hyp) - n + 1))
    ref_grams = Counter(tuple(ref[i : i + n]) for i in range(len(ref) - n + 1))
    overlap = sum((hyp_grams & ref_grams).values())
    return _f1(overlap, sum(hyp_grams.values()), sum(ref_grams.values()))


def lcs_length(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence (bit-parallel, Allison-Dix / Hyyrö)."""
    if not a or not b:
        return 0
    masks: dict[str, int] = {}
    for i, token in enumerate(a):
        masks[token] = masks.get(token, 0) | (1 << i)
    full = (1 << len(a)) - 1
    v = full
    for token in b:
        u = v & masks.get(token, 0)
        v = ((v + u) | (v - u)) & full
    return len(a) - bin(v).count("1")


def score(hypothesis: str, reference: str) -> Scores:
    """ROUGE-1/2/L F1 of a summary against one reference."""
    hyp = tokenize(hypothesis)
    ref = tokenize(reference)
    return Scores(
        rouge1=_ngram_f1(hyp, ref, 1),
        rouge2=_ngram_f1(hyp, ref, 2),
        rougeL=_f1(lcs_length(hyp, ref), len(hyp), len(ref)),
    )
