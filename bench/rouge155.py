"""ROUGE-N and ROUGE-SU recall as ROUGE-1.5.5 computes them (the DUC/TAC official scorer).

Written from the published behaviour of ROUGE-1.5.5 (``-m``, stopwords kept, ``-f A``,
``-t 0``), so that scores can be compared with NIST's official tables:

* Reading: each non-empty line of a summary file is a sentence; lines are lower-cased and
  joined with spaces. With a word limit (``-l N``) the first N whitespace-separated tokens
  are kept (counted before punctuation is removed, as ROUGE does). Then ``-`` and every
  character other than ``A-Za-z0-9`` become spaces.
* Stemming (``-m``): a token longer than 3 characters is first looked up in WordNet 2.0's
  irregular inflections ("children" -> "child", "said" -> "say"), as ROUGE's
  ``WordNet-2.0.exc.db`` holds them; otherwise it is Porter-stemmed (`porter_stem`, ROUGE's
  own variant; see there). The inflection list is read from the ``py-rouge`` package (a test
  dependency; its ``wordnet_key_value.txt`` is a dump of ROUGE's database). Without it,
  irregular forms are stemmed like other words and `EXCEPTIONS_LOADED` is False; ROUGE-SU4
  then comes out about 0.002 low. ``bench/multidoc.py`` checks the result against NIST.
* ROUGE-N: every n-gram of the token stream (n-grams cross sentence boundaries). ROUGE-SU4
  (``-2 4 -u``): skip bigrams with at most 4 words between them, plus unigrams; like ROUGE,
  the last token contributes no unigram.
* ``-f A``: hits are clipped per reference and pooled over the references:
  recall = sum of clipped hits / sum of reference n-grams. A topic's score is the mean over
  its evaluations; a system's score is the mean over topics (``-t 0``).
* Jackknifing (as NIST ran it for DUC 2005-2007): for M references, a system summary is
  scored M times against M-1 of them and the scores are averaged; a human summary is scored
  against the others.

Pure Python; the only data is WordNet's inflection list (above).
"""

from __future__ import annotations

import importlib.metadata
import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------
# Porter stemmer, ROUGE-1.5.5's variant

_c = "[^aeiou]"  # consonant
_v = "[aeiouy]"  # vowel
_C = f"{_c}[^aeiouy]*"  # consonant sequence
_V = f"{_v}[aeiou]*"  # vowel sequence
_MGR0 = re.compile(f"^({_C})?{_V}{_C}")  # measure > 0
_MEQ1 = re.compile(f"^({_C})?{_V}{_C}({_V})?$")  # measure = 1
_MGR1 = re.compile(f"^({_C})?{_V}{_C}{_V}{_C}")  # measure > 1
_HAS_V = re.compile(f"^({_C})?{_v}")  # a vowel in the stem
_CVC = re.compile(f"^{_C}{_v}[^aeiouwxy]$")

_STEP2 = {
    "ational": "ate",
    "tional": "tion",
    "enci": "ence",
    "anci": "ance",
    "izer": "ize",
    "bli": "ble",
    "alli": "al",
    "entli": "ent",
    "eli": "e",
    "ousli": "ous",
    "ization": "ize",
    "ation": "ate",
    "ator": "ate",
    "alism": "al",
    "iveness": "ive",
    "fulness": "ful",
    "ousness": "ous",
    "aliti": "al",
    "iviti": "ive",
    "biliti": "ble",
    "logi": "log",
}
_STEP3 = {
    "icate": "ic",
    "ative": "",
    "alize": "al",
    "iciti": "ic",
    "ical": "ic",
    "ful": "",
    "ness": "",
}


def _suffix_re(suffixes: Sequence[str]) -> re.Pattern[str]:
    return re.compile("(" + "|".join(suffixes) + ")$")


_STEP2_RE = _suffix_re(list(_STEP2))
_STEP3_RE = _suffix_re(list(_STEP3))
# ROUGE's step 4 tries "ment" and "ent" after the other suffixes (and after each other), not
# as alternatives of one longest match: "governmental" -> "govern", not "government".
_STEP4_RE = _suffix_re("al ance ence er ic able ible ant ement ou ism ate iti ous ive ize".split())


@lru_cache(maxsize=500_000)
def porter_stem(word: str) -> str:
    """Porter stem of a lower-case word as ROUGE-1.5.5's stemmer gives it.

    Martin Porter's reference version (with his "bli" -> "ble" and "logi" -> "log" steps),
    plus ROUGE's own change to step 4: "-ment" and "-ent" are tried after the other step-4
    suffixes and after each other, so a word can lose more than one of them. NLTK's
    ``PorterStemmer`` in none of its modes does the latter.
    """
    w = word
    if len(w) < 3:
        return w
    initial_y = w[0] == "y"
    if initial_y:
        w = "Y" + w[1:]
    # Step 1a
    m = re.search("(ss|i)es$", w)
    if m:
        w = w[: m.start()] + m.group(1)
    else:
        m = re.search("([^s])s$", w)
        if m:
            w = w[: m.start()] + m.group(1)
    # Step 1b
    if w.endswith("eed"):
        if _MGR0.search(w[:-3]):
            w = w[:-1]
    else:
        m = re.search("(ed|ing)$", w)
        if m:
            stem = w[: m.start()]
            if _HAS_V.search(stem):
                w = stem
                if re.search("(at|bl|iz)$", w):
                    w += "e"
                elif re.search(r"([^aeiouylsz])\1$", w):
                    w = w[:-1]
                elif _CVC.search(w):
                    w += "e"
    # Step 1c
    if w.endswith("y"):
        stem = w[:-1]
        if _HAS_V.search(stem):
            w = stem + "i"
    # Step 2
    m = _STEP2_RE.search(w)
    if m:
        stem = w[: m.start()]
        if _MGR0.search(stem):
            w = stem + _STEP2[m.group(1)]
    # Step 3
    m = _STEP3_RE.search(w)
    if m:
        stem = w[: m.start()]
        if _MGR0.search(stem):
            w = stem + _STEP3[m.group(1)]
    # Step 4 (ROUGE's order)
    m = _STEP4_RE.search(w)
    if m:
        stem = w[: m.start()]
        if _MGR1.search(stem):
            w = stem
    if w.endswith("ment"):
        stem = w[:-4]
        if _MGR1.search(stem):
            w = stem
    if w.endswith("ent"):
        stem = w[:-3]
        if _MGR1.search(stem):
            w = stem
    else:
        m = re.search("(s|t)(ion)$", w)
        if m:
            stem = w[: m.start()] + m.group(1)
            if _MGR1.search(stem):
                w = stem
    # Step 5
    if w.endswith("e"):
        stem = w[:-1]
        if _MGR1.search(stem) or (_MEQ1.search(stem) and not _CVC.search(stem)):
            w = stem
    if w.endswith("ll") and _MGR1.search(w):
        w = w[:-1]
    if initial_y:
        w = "y" + w[1:]
    return w


# --------------------------------------------------------------------------------------------
# WordNet's irregular inflections


def _load_exceptions() -> dict[str, str]:
    """WordNet 2.0 exception list as ROUGE-1.5.5's database holds it (empty when absent).

    The file ships with the ``py-rouge`` distribution; it is found through the installed
    distribution's file list, without importing its package (``bench/rouge.py`` would shadow
    the name when a benchmark runs as a script). Only entries a ROUGE token can match are kept
    (letters and digits, longer than 3).
    """
    try:
        dist = importlib.metadata.distribution("py-rouge")
    except importlib.metadata.PackageNotFoundError:
        return {}
    path = Path(str(dist.locate_file("rouge/wordnet_key_value.txt")))
    if not path.is_file():
        return {}
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("|")
        if len(key) > 3 and key.isalnum() and value:
            out[key] = value
    return out


EXCEPTIONS = _load_exceptions()
EXCEPTIONS_LOADED = bool(EXCEPTIONS)
if not EXCEPTIONS_LOADED:
    log.warning("py-rouge's WordNet exception list not found: ROUGE-SU4 will be ~0.002 low")


@lru_cache(maxsize=500_000)
def rouge_stem(token: str) -> str:
    """ROUGE-1.5.5's ``-m`` for one lower-case token: short tokens as they are, then WordNet's
    irregular inflections, then `porter_stem`."""
    if len(token) <= 3:
        return token
    return EXCEPTIONS.get(token) or porter_stem(token)


# --------------------------------------------------------------------------------------------
# Tokens and n-gram counts

_NON_ALNUM = re.compile(r"[^A-Za-z0-9]")


def tokens(text: str, *, word_limit: int = 0, stem: bool = True) -> list[str]:
    """The tokens ROUGE-1.5.5 scores for a summary (lines = sentences; see the module doc).

    Args:
        text: The summary, one sentence per line (SPL), or running text.
        word_limit: ``-l``: keep only this many whitespace-separated words (0 = all).
        stem: ``-m``: stem tokens longer than 3 characters (`rouge_stem`).
    """
    lines = [line.lower() for line in text.split("\n") if line.rstrip("\r")]
    if word_limit:
        kept: list[str] = []
        for line in lines:
            kept.extend(line.split())
            if len(kept) >= word_limit:
                break
        joined = " ".join(kept[:word_limit])
    else:
        joined = " ".join(lines)
    out = _NON_ALNUM.sub(" ", joined).split()
    if stem:
        return [rouge_stem(t) for t in out]
    return out


def ngrams(toks: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    """Counts of the n-grams of a token list."""
    return Counter(tuple(toks[i : i + n]) for i in range(len(toks) - n + 1))


def skip_bigrams(
    toks: Sequence[str], gap: int = 4, unigrams: bool = True
) -> Counter[tuple[str, ...]]:
    """ROUGE-S counts: ordered pairs at most `gap` words apart, with unigrams (``-u``).

    As in ROUGE-1.5.5, the last token adds no unigram.
    """
    out: Counter[tuple[str, ...]] = Counter()
    last = len(toks) - 1
    for i in range(last):
        if unigrams:
            out[(toks[i],)] += 1
        for j in range(i + 1, min(last, i + gap + 1) + 1):
            out[(toks[i], toks[j])] += 1
    return out


@dataclass(frozen=True)
class Counts:
    """The n-gram counts of one summary for ROUGE-1, ROUGE-2 and ROUGE-SU4."""

    r1: Counter[tuple[str, ...]]
    r2: Counter[tuple[str, ...]]
    su4: Counter[tuple[str, ...]]

    @staticmethod
    def of(text: str, *, word_limit: int = 0) -> Counts:
        """Counts of a summary text (see `tokens`)."""
        toks = tokens(text, word_limit=word_limit)
        return Counts(ngrams(toks, 1), ngrams(toks, 2), skip_bigrams(toks))


METRICS = ("r1", "r2", "su4")


def _hits(peer: Counter[tuple[str, ...]], model: Counter[tuple[str, ...]]) -> int:
    if len(peer) > len(model):
        peer, model = model, peer
    return sum(min(c, model[g]) for g, c in peer.items() if g in model)


def recall(peer: Counts, models: Sequence[Counts]) -> dict[str, float]:
    """``-f A`` recall of a peer against references: pooled clipped hits / reference n-grams."""
    out: dict[str, float] = {}
    for metric in METRICS:
        hit = sum(_hits(getattr(peer, metric), getattr(m, metric)) for m in models)
        total = sum(getattr(m, metric).total() for m in models)
        out[metric] = hit / total if total else 0.0
    return out


def jackknife(
    peer: Counts, models: Sequence[Counts], *, is_model: int | None = None
) -> dict[str, float]:
    """Jackknifed recall: the mean over leaving each reference out in turn.

    Args:
        peer: The summary scored.
        models: All references of the topic.
        is_model: When the peer is one of the references (a human summary), its index: it is
            scored once, against the others.
    """
    if is_model is not None:
        return recall(peer, [m for k, m in enumerate(models) if k != is_model])
    if len(models) < 2:
        return recall(peer, models)
    runs = [
        recall(peer, [m for k, m in enumerate(models) if k != left]) for left in range(len(models))
    ]
    return {metric: sum(r[metric] for r in runs) / len(runs) for metric in METRICS}


def mean_scores(per_topic: Sequence[dict[str, float]]) -> dict[str, float]:
    """Mean of per-topic scores (``-t 0``); zeros for no topics."""
    if not per_topic:
        return dict.fromkeys(METRICS, 0.0)
    return {m: sum(s[m] for s in per_topic) / len(per_topic) for m in METRICS}
