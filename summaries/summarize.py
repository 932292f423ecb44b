"""Extractive summaries: one text, or a story told by several articles. The only sumy import.

Every summary is made of sentences copied verbatim from the input. Budgets are in sentences or
in words (words as :func:`summaries.text.words` counts them: word and number tokens,
punctuation not counted); a word budget is never exceeded; when the next-best sentence is too
long for what is left, a shorter one that fits may be taken instead.

Algorithms (``ALGORITHMS``):

* ``"briefbot"`` (the default): concept coverage after Gillick, Favre and Hakkani-Tür, "The ICSI
  Summarization System at TAC 2008". Concepts are content-stem bigrams, names and numbers
  (:func:`summaries.text.concepts`). A concept weighs the number of distinct articles that
  mention it, plus a smaller amount for each further sentence repeating it. Sentences are
  picked greedily by the weight of the concepts they newly cover per word, with a prior
  favouring the first sentences of an article (news leads). A sentence covering nothing new is
  never picked, and near-duplicates (syndicated copies, restatements) are never both picked.
* ``"lexrank"``, ``"textrank"``, ``"lsa"``, ``"luhn"``, ``"kl"``, ``"sumbasic"``: sumy's summarizers
  with an offline tokenizer (:class:`OfflineTokenizer`), ``Stemmer("english")`` and
  ``get_stop_words("english")``. For long inputs LexRank and TextRank are computed by
  :mod:`summaries._rank`, which reproduces sumy's ranking with sparse matrices.
* ``"lead"``: the first sentences.

Everything here is CPU-bound and synchronous: async callers use ``asyncio.to_thread``.
"""

from __future__ import annotations

import itertools
import logging
import math
import re
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp
from sumy.models.dom import ObjectDocumentModel, Paragraph
from sumy.models.dom import Sentence as SumySentence
from sumy.nlp.stemmers import Stemmer
from sumy.summarizers.kl import KLSummarizer
from sumy.summarizers.lex_rank import LexRankSummarizer
from sumy.summarizers.lsa import LsaSummarizer
from sumy.summarizers.luhn import LuhnSummarizer
from sumy.summarizers.sum_basic import SumBasicSummarizer
from sumy.summarizers.text_rank import TextRankSummarizer
from sumy.utils import get_stop_words

from summaries import _rank
from summaries.discrepancies import Restatements, name_spellings, spelling_key
from summaries.errors import InvalidInput
from summaries.models import quote_order
from summaries.text import (
    STOP_WORDS,
    concepts,
    content_stems,
    content_units,
    ends_like_sentence,
    is_heading_like,
    leans_on_context,
    split_sentences,
    starts_with_pronoun,
    stem,
    words,
)

log = logging.getLogger(__name__)

ALGORITHMS: tuple[str, ...] = (
    "briefbot",
    "lexrank",
    "textrank",
    "lsa",
    "luhn",
    "kl",
    "sumbasic",
    "lead",
)
DEFAULT_ALGORITHM = "briefbot"
DEFAULT_SENTENCES = 5
SUMY_ALGORITHMS: tuple[str, ...] = ("lexrank", "textrank", "lsa", "luhn", "kl", "sumbasic")

# From this many sentences on, LexRank and TextRank use the vectorised implementation (same
# ranking as sumy, proven by tests); below it sumy's own code runs (it is fast enough there).
VECTORISED_FROM = 150

_LANGUAGE = "english"
# sumy's Tokenizer keeps only tokens that look like words (letters, inner ' and -; no digits).
_SUMY_WORD_RE = re.compile(r"^[^\W\d_](?:[^\W\d_]|['-])*$", re.UNICODE)


class OfflineTokenizer:
    """A sumy tokenizer that needs no NLTK data (sumy's ``Tokenizer`` needs ``punkt_tab``).

    Duck-typed like ``sumy.nlp.tokenizers.Tokenizer``: ``language``, ``to_sentences`` and
    ``to_words``. Sentences come from :func:`summaries.text.split_sentences` (rule-based), words
    from :func:`summaries.text.words`, filtered like sumy's tokenizer filters them.
    """

    language = _LANGUAGE

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        """Sentences of a paragraph, verbatim."""
        return tuple(split_sentences(paragraph))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        """Word tokens of a sentence (numbers and punctuation dropped, as sumy does)."""
        return tuple(w for w in words(sentence) if _SUMY_WORD_RE.match(w))


_TOKENIZER = OfflineTokenizer()
_SUMY_STEMMER = Stemmer(_LANGUAGE)
_SUMY_STOP_WORDS: frozenset[str] = frozenset(w.lower() for w in get_stop_words(_LANGUAGE))


@lru_cache(maxsize=200_000)
def _sumy_stem(word: str) -> str:
    return str(_SUMY_STEMMER(word))


def _sumy_terms(sentence: str) -> list[str]:
    """The terms sumy's LexRank/TextRank see: lower-cased, stop words dropped, stemmed."""
    out: list[str] = []
    for w in _TOKENIZER.to_words(sentence):
        lw = w.lower()
        if lw not in _SUMY_STOP_WORDS:
            out.append(_sumy_stem(lw))
    return out


def _check_algorithm(algorithm: str | None) -> str:
    name = (algorithm or DEFAULT_ALGORITHM).strip().lower()
    if name not in ALGORITHMS:
        raise InvalidInput(
            f"Unknown summary algorithm {algorithm!r}; choose one of: {', '.join(ALGORITHMS)}."
        )
    return name


def _check_budget(words_budget: int | None, sentences_budget: int | None) -> None:
    if words_budget is not None and sentences_budget is not None:
        raise InvalidInput("Give a summary budget in words or in sentences, not both.")
    if words_budget is not None and words_budget < 1:
        raise InvalidInput(f"The word budget must be at least 1 (got {words_budget}).")
    if sentences_budget is not None and sentences_budget < 1:
        raise InvalidInput(f"The sentence budget must be at least 1 (got {sentences_budget}).")


def word_count(sentence: str) -> int:
    """Number of words in a sentence, as word budgets count them."""
    return len(words(sentence))


# --------------------------------------------------------------------------------------------
# sumy and the vectorised rankings


def _make_summarizer(name: str) -> Any:
    classes: dict[str, Callable[..., Any]] = {
        "lexrank": LexRankSummarizer,
        "textrank": TextRankSummarizer,
        "lsa": LsaSummarizer,
        "luhn": LuhnSummarizer,
        "kl": KLSummarizer,
        "sumbasic": SumBasicSummarizer,
    }
    summarizer = classes[name](_SUMY_STEMMER)
    summarizer.stop_words = _SUMY_STOP_WORDS
    return summarizer


def sumy_ranking(sentences: Sequence[str], algorithm: str) -> list[int]:
    """Indices of ``sentences`` from best to worst, as sumy's summarizer ranks them.

    Runs sumy's own code, whatever the size (see :func:`ranking` for the fast path).

    Args:
        sentences: The sentences of one document, in order.
        algorithm: One of ``SUMY_ALGORITHMS``.

    Returns:
        Every sentence index exactly once, best first.
    """
    if not sentences:
        return []
    document = ObjectDocumentModel([Paragraph([SumySentence(s, _TOKENIZER) for s in sentences])])
    captured: list[int] = []

    def take_all(infos: Sequence[Any]) -> Sequence[Any]:
        # sumy passes the sentence infos sorted best first; keep that order.
        captured.extend(int(info.order) for info in infos)
        return infos

    _make_summarizer(algorithm)(document, take_all)
    seen = set(captured)
    # sumy may rate fewer sentences than it was given (e.g. LSA on an empty dictionary).
    captured.extend(i for i in range(len(sentences)) if i not in seen)
    return captured


def ranking(sentences: Sequence[str], algorithm: str) -> list[int]:
    """Indices of ``sentences`` from best to worst by a ranking algorithm.

    ``"lead"`` ranks by position. LexRank and TextRank from ``VECTORISED_FROM`` sentences on are
    computed by :mod:`summaries._rank` (the same ranking as sumy's, far faster); the other sumy
    algorithms run sumy's own code.
    """
    if algorithm == "lead":
        return list(range(len(sentences)))
    if algorithm in ("lexrank", "textrank") and len(sentences) >= VECTORISED_FROM:
        return vectorised_ranking(sentences, algorithm)
    return sumy_ranking(sentences, algorithm)


def vectorised_ranking(sentences: Sequence[str], algorithm: str) -> list[int]:
    """LexRank or TextRank ranking computed with numpy/scipy (same result as sumy's)."""
    terms = [_sumy_terms(s) for s in sentences]
    if algorithm == "lexrank":
        scores = _rank.lexrank_scores(terms)
    elif algorithm == "textrank":
        scores = _rank.textrank_scores(terms)
    else:
        raise InvalidInput(f"No vectorised ranking for {algorithm!r} (lexrank or textrank).")
    return _rank.rank_order(scores)


def _take_by_rank(
    order: Sequence[int],
    lengths: Sequence[int],
    words_budget: int | None,
    sentences_budget: int | None,
    allowed: Callable[[int, list[int]], bool] | None = None,
) -> list[int]:
    """Walk a ranking and take sentences until the budget is spent (never exceeding it)."""
    chosen: list[int] = []
    used = 0
    for i in order:
        if sentences_budget is not None and len(chosen) >= sentences_budget:
            break
        if words_budget is not None:
            if used >= words_budget:
                break
            if lengths[i] == 0 or used + lengths[i] > words_budget:
                continue
        if allowed is not None and not allowed(i, chosen):
            continue
        chosen.append(i)
        used += lengths[i]
    return chosen


# --------------------------------------------------------------------------------------------
# The briefbot concept-coverage selector


@dataclass(frozen=True)
class _Tuning:
    """Knobs of the concept selector."""

    # Extra weight for each further sentence repeating a concept, relative to one article.
    repeat_weight: float = 0.5
    # Content stems (unigrams) as extra concepts, at this fraction of a concept's weight.
    unigram_weight: float = 0.0
    # Sentence prior: 1 + lead_bonus / (1 + position) ** lead_decay.
    lead_bonus: float = 1.0
    lead_decay: float = 1.0
    # Gain is divided by (words ** length_power); 1.0 = weight per word.
    length_power: float = 1.0
    # Concepts already covered by a picked sentence keep this fraction of their weight (0 = pure
    # coverage; a sentence still needs at least one uncovered concept to be picked).
    covered_weight: float = 0.0
    # Two sentences are near-duplicates when this share of the shorter one's content stems
    # appears in the other.
    duplicate_overlap: float = 0.8
    # Sentences with fewer words are never picked (datelines, "Here's why.").
    min_words: int = 4
    # Gain factor per sentence already picked from the same article: a story summary quotes
    # its several sources, not the most concise one six times (1.0 = no preference).
    source_discount: float = 1.0
    # Whether the lead prior ends once one article's lead is picked: a story's articles open
    # with the same event, so once it is told, openings no longer mark what matters.
    one_lead: bool = False


# Story summaries (several articles): the ICSI recipe as published. A concept weighs the number
# of articles mentioning it (repeats within one article add a little); pure coverage (a covered
# concept weighs nothing more); weight per word; a mild lead prior.
STORY_TUNING = _Tuning(
    repeat_weight=0.25,
    unigram_weight=0.0,
    lead_bonus=0.5,
    lead_decay=1.0,
    length_power=1.0,
    covered_weight=0.0,
    duplicate_overlap=0.8,
    min_words=4,
    source_discount=0.7,
    one_lead=True,
)
# Single texts: one article gives no cross-source signal, so weights come from in-article
# frequency: content stems count as concepts too, and each repetition adds a lot. Chosen on the
# BBC business + tech articles only (bench/quality.py shows the three held-out categories).
TEXT_TUNING = _Tuning(
    repeat_weight=50.0,
    unigram_weight=10.0,
    lead_bonus=0.0,
    lead_decay=1.0,
    length_power=0.2,
    covered_weight=1.0,
    duplicate_overlap=0.95,
    min_words=4,
)


def _concept_list(
    text: str, stems: Sequence[str], unigrams: bool, spell: Callable[[str], str] | None = None
) -> list[str]:
    """:func:`summaries.text.concepts` from precomputed stems (plus unigram concepts), names
    respelled by `spell` when given."""
    out = concepts(text, stems)
    if spell is not None:
        out = {"@" + spell(c[1:]) if c.startswith("@") else c for c in out}
    if unigrams:
        out.update("~" + s for s in stems)
    return list(out)


@dataclass
class _Prepared:
    concepts: sp.csr_matrix  # sentence x concept, 0/1
    concept_names: list[str]
    stems: sp.csr_matrix  # sentence x stem, 0/1 (for near-duplicate detection)
    stem_counts: np.ndarray
    lengths: np.ndarray
    sentence_like: np.ndarray  # ends with . ! ? (maybe followed by a quote or bracket)


def _incidence(rows: Sequence[Sequence[str]]) -> tuple[sp.csr_matrix, list[str]]:
    vocab: dict[str, int] = {}
    indptr = [0]
    indices: list[int] = []
    for row in rows:
        for item in set(row):
            indices.append(vocab.setdefault(item, len(vocab)))
        indptr.append(len(indices))
    matrix = sp.csr_matrix(
        (np.ones(len(indices)), np.asarray(indices, dtype=np.int64), indptr),
        shape=(len(rows), max(len(vocab), 1)),
    )
    return matrix, list(vocab)


def _prepare(
    texts: Sequence[str],
    stems: Sequence[Sequence[str]],
    unigrams: bool,
    spell: Callable[[str], str] | None = None,
) -> _Prepared:
    concept_rows = [_concept_list(t, s, unigrams, spell) for t, s in zip(texts, stems, strict=True)]
    concepts_m, concept_names = _incidence(concept_rows)
    stems_m, _ = _incidence(stems)
    return _Prepared(
        concepts=concepts_m,
        concept_names=concept_names,
        stems=stems_m,
        stem_counts=np.asarray(stems_m.sum(axis=1)).ravel(),
        lengths=np.asarray([len(words(t)) for t in texts], dtype=np.float64),
        sentence_like=np.fromiter((ends_like_sentence(t) for t in texts), bool, len(texts)),
    )


def _concept_weights(
    prepared: _Prepared, docs: Sequence[int], known: frozenset[str], tuning: _Tuning
) -> np.ndarray:
    """Weight of each concept: distinct articles + repeat_weight * further sentences."""
    incidence = prepared.concepts
    sentence_freq = np.asarray(incidence.sum(axis=0)).ravel()
    doc_ids = np.unique(np.asarray(docs), return_inverse=True)[1]
    if doc_ids.size and doc_ids.max() > 0:
        by_doc = sp.csr_matrix(
            (np.ones(len(doc_ids)), (doc_ids, np.arange(len(doc_ids)))),
            shape=(int(doc_ids.max()) + 1, len(doc_ids)),
        )
        doc_freq = np.asarray(((by_doc @ incidence) > 0).sum(axis=0)).ravel().astype(float)
    else:
        doc_freq = (sentence_freq > 0).astype(float)
    weights = doc_freq + tuning.repeat_weight * (sentence_freq - doc_freq)
    is_unigram = np.fromiter(
        (c.startswith("~") for c in prepared.concept_names), bool, len(prepared.concept_names)
    )
    weights[is_unigram] *= tuning.unigram_weight
    if known:
        for j, name in enumerate(prepared.concept_names):
            if name in known:
                weights[j] = 0.0
    return weights


def _select(
    prepared: _Prepared,
    docs: Sequence[int],
    positions: Sequence[int],
    *,
    words_budget: int | None,
    sentences_budget: int | None,
    known: frozenset[str] = frozenset(),
    min_novel: int = 1,
    tuning: _Tuning = STORY_TUNING,
    order: Sequence[int] | None = None,
    restates: Callable[[int, list[int]], bool] | None = None,
) -> list[int]:
    """Greedy concept coverage (or, with ``order``, a ranking filtered the same way).

    ``restates(i, chosen)``, when given, is asked before sentence ``i`` joins the ``chosen``
    ones; a sentence it says restates them is dropped for good.
    """
    n = prepared.concepts.shape[0]
    if n == 0:
        return []
    weights = _concept_weights(prepared, docs, known, tuning)
    real = np.fromiter(
        (not c.startswith("~") for c in prepared.concept_names),
        bool,
        len(prepared.concept_names),
    )
    uncovered = np.ones(len(weights), dtype=bool)
    if known:
        for j, name in enumerate(prepared.concept_names):
            if name in known:
                uncovered[j] = False
    pos = np.asarray(positions, dtype=np.float64)
    prior = 1.0 + tuning.lead_bonus / (1.0 + pos) ** tuning.lead_decay
    lengths = prepared.lengths
    denominator = np.maximum(lengths, 1.0) ** tuning.length_power
    available = lengths >= tuning.min_words
    # Headings, datelines and captions rarely end like a sentence; skip them unless nothing does.
    sentence_like = available & prepared.sentence_like
    if sentence_like.any():
        available = sentence_like
    incidence = prepared.concepts
    need = max(1, min_novel)
    chosen: list[int] = []
    lead_told = False
    picked_from: dict[int, int] = {}
    used = 0.0
    rank_pos = 0
    while True:
        if sentences_budget is not None and len(chosen) >= sentences_budget:
            break
        fits = available.copy()
        if words_budget is not None:
            fits &= used + lengths <= words_budget
        novel = incidence @ (uncovered & real).astype(np.float64)
        fits &= novel >= need
        if not fits.any():
            break
        if order is None:
            live = np.where(uncovered, weights, weights * tuning.covered_weight)
            gain = (incidence @ live) * (prior if not lead_told else 1.0) / denominator
            if tuning.source_discount != 1.0 and picked_from:
                gain *= tuning.source_discount ** np.fromiter(
                    (picked_from.get(d, 0) for d in docs), np.float64, n
                )
            gain[~fits] = -1.0
            best = int(np.argmax(gain))
            if gain[best] <= 0:
                break
        else:
            best = -1
            while rank_pos < len(order):
                candidate = order[rank_pos]
                rank_pos += 1
                if fits[candidate]:
                    best = candidate
                    break
            if best < 0:
                break
        if restates is not None and restates(best, chosen):
            available[best] = False
            continue
        chosen.append(best)
        lead_told = lead_told or (tuning.one_lead and positions[best] == 0)
        picked_from[docs[best]] = picked_from.get(docs[best], 0) + 1
        used += lengths[best]
        available[best] = False
        row = incidence.indices[incidence.indptr[best] : incidence.indptr[best + 1]]
        uncovered[row] = False
        # Near-duplicates of the chosen sentence are out for good.
        best_stems = prepared.stems.indices[
            prepared.stems.indptr[best] : prepared.stems.indptr[best + 1]
        ]
        if best_stems.size:
            indicator = np.zeros(prepared.stems.shape[1])
            indicator[best_stems] = 1.0
            overlap = prepared.stems @ indicator
            smaller = np.minimum(prepared.stem_counts, best_stems.size)
            with np.errstate(divide="ignore", invalid="ignore"):
                share = np.where(smaller > 0, overlap / smaller, 0.0)
            available &= share < tuning.duplicate_overlap
    return chosen


# --------------------------------------------------------------------------------------------
# Story summaries: concept coverage solved exactly (Gillick & Favre)


@dataclass(frozen=True)
class CoverageRules:
    """How story summaries weigh concepts and pick sentences (`select_coverage`).

    Every field is switched off in turn by ``bench/multidoc.py --ablate``; each stays because
    the benchmark or a named behaviour (with its test) needs it.

    Attributes:
        doc_share: A concept counts only when at least max(min_docs, ceil(doc_share *
            documents)) of the story's documents carry it (stories of three or more
            documents): what one article alone says is not what the story is about.
        min_docs: See `doc_share`.
        pairs: Adjacent word pairs are concepts (`_pair_concepts`).
        units: Content words are concepts too, weighing this fraction of a pair (0: not).
        respell: One name spelled several ways is one name (`name_spellings`).
        restatements: A sentence restating a quoted figure in other words is not quoted.
        focus_weight: Extra weight, as a fraction, of a concept with a word of the topic
            asked about (``topic`` of `summarize_candidates`).
        lead_weight: A document carrying a concept adds 1 + lead_weight / (1 + p) to its
            weight, p the position of its earliest sentence with it: what articles open with
            is what matters (news leads).
        rare_weight: What a concept below the document threshold is still worth, as a
            fraction of its weight: it only decides how words left over are filled.
        min_words: Shorter sentences are never quoted (captions, "Here's why.").
        quotable: Only `quotable` sentences are quoted: no heading, and past an article's
            first sentence none opening with a pronoun, a pointer to the sentence before or
            a connective ("However, ..."): quoted alone, such a sentence leans on the one
            before it.
        no_adjacent: Never two consecutive sentences of one article (unless nothing else
            fits): a summary of many articles quotes many articles.
        max_candidates: The solver sees at most this many sentences, those covering the
            most weight per word (the rest cannot compete); keeps big stories fast.
        time_limit: Seconds HiGHS may take before its best solution so far is used (a
            safety net; wall-clock limits make results depend on the machine's load).
        gap: A choice within this fraction of the LP bound is taken as the optimum.
    """

    doc_share: float = 0.1
    min_docs: int = 2
    pairs: bool = True
    units: float = 0.0
    respell: bool = True
    restatements: bool = True
    focus_weight: float = 1.0
    lead_weight: float = 6.0
    rare_weight: float = 0.01
    min_words: int = 8
    quotable: bool = True
    no_adjacent: bool = True
    max_candidates: int = 120
    time_limit: float = 5.0
    gap: float = 0.002


COVERAGE = CoverageRules()


def _pair_concepts(text: str, respelled: dict[str, tuple[str, ...]] | None = None) -> set[str]:
    """Adjacent word pairs (stemmed), except pairs of two stop words: the units ROUGE-2 and
    a reader both see ("cod quota", "quota by", not "of the"). A name's words in another
    spelling are mapped to their shared keys (`respelled`, from `name_spellings`)."""
    toks = [stem(w) for w in words(text)]
    if respelled:
        toks = [k for t in toks for k in respelled.get(t, (t,))]
    return {
        f"{a} {b}" for a, b in itertools.pairwise(toks) if not (a in STOP_WORDS and b in STOP_WORDS)
    }


def quotable(text: str, position: int) -> bool:
    """Whether a sentence may be quoted on its own: not a heading, and (past an article's
    first sentence) not opening with a pronoun, a pointer to the sentence before or a
    connective continuing it ("However, ...", `leans_on_context`)."""
    return not is_heading_like(text) and (
        position == 0 or not (starts_with_pronoun(text) or leans_on_context(text))
    )


@dataclass
class _ConceptTable:
    """The word-pair concepts of a story's sentences, worked out once for every use.

    Attributes:
        incidence: Sentence x concept, 1 where the sentence carries the concept.
        weight: Each concept's weight (`CoverageRules`: documents, leads).
        df: Number of documents carrying each concept.
        lengths: Words per sentence.
        tokens: Stem (or name key) -> its id in `keys`.
        keys: Each concept as (first token id << 32) | second token id, sorted.
        seen: Concepts carried by the sentences before `weigh_from` (shown ones).
    """

    incidence: sp.csr_matrix
    weight: np.ndarray
    df: np.ndarray
    lengths: np.ndarray
    tokens: dict[str, int]
    keys: np.ndarray
    seen: np.ndarray

    def find(self, concepts: Iterable[str]) -> np.ndarray:
        """Indices of those of `concepts` ("a b" word pairs) that occur here."""
        found: list[int] = []
        for concept in concepts:
            first, _, second = concept.partition(" ")
            a, b = self.tokens.get(first), self.tokens.get(second)
            if a is not None and b is not None:
                found.append((a << 32) | b)
        if not found:
            return np.zeros(0, dtype=np.int64)
        wanted = np.asarray(found, dtype=np.int64)
        at = np.searchsorted(self.keys, wanted)
        at = np.minimum(at, max(len(self.keys) - 1, 0))
        return at[self.keys[at] == wanted] if len(self.keys) else at[:0]


_UNIT = (1 << 32) - 1  # the second half of a one-word concept's key


@dataclass(frozen=True)
class ConceptIndex:
    """The concepts of every sentence of a story, worked out once per version of the story:
    what is new for each audience takes its rows (the shown and the fresh sentences) from it.

    Attributes:
        incidence: Sentence x concept, rows in the order of the candidates given.
        lengths: Words per sentence.
        tokens: Stem (or name key) -> token id.
        keys: Each concept as (first token id << 32) | second token id, sorted.
        row_of: Candidate key -> row.
        respelled: The story's name spellings (`name_spellings` over all its sentences).
    """

    incidence: sp.csr_matrix
    lengths: np.ndarray
    tokens: dict[str, int]
    keys: np.ndarray
    row_of: dict[int, int]
    respelled: dict[str, tuple[str, ...]]


def concept_index(
    candidates: Sequence[Candidate], rules: CoverageRules | None = None
) -> ConceptIndex:
    """`ConceptIndex` of a story's sentences (names respelled story-wide)."""
    texts = [c.text for c in candidates]
    respelled = name_spellings(texts)
    incidence, lengths, tokens, keys = _concept_incidence(texts, respelled, rules or COVERAGE)
    row_of = {c.key: k for k, c in enumerate(candidates)}
    return ConceptIndex(incidence, lengths, tokens, keys, row_of, respelled)


def _concept_incidence(
    texts: Sequence[str], respelled: dict[str, tuple[str, ...]] | None, rules: CoverageRules
) -> tuple[sp.csr_matrix, np.ndarray, dict[str, int], np.ndarray]:
    """Concepts (`_pair_concepts`) of every sentence, vectorised: one pass of Python over the
    tokens, the rest in numpy (big stories have thousands of sentences)."""
    n = len(texts)
    # words -> ids of distinct words (one pass of Python), then words -> token ids (stems or
    # name keys; a respelled word may stand for several keys) in numpy
    found = [words(t) for t in texts]
    lengths = np.fromiter((len(f) for f in found), np.float64, n)
    word_id: dict[str, int] = {}
    flat = np.fromiter((word_id.setdefault(w, len(word_id)) for f in found for w in f), np.int64)
    tokens: dict[str, int] = {}
    stop: list[bool] = []
    expansion: list[list[int]] = []
    for word in word_id:
        stemmed = stem(word)
        keys = respelled.get(stemmed, (stemmed,)) if respelled else (stemmed,)
        for key in keys:
            if key not in tokens:
                tokens[key] = len(tokens)
                stop.append(key in STOP_WORDS)
        expansion.append([tokens[key] for key in keys])
    sentence_of = np.repeat(np.arange(n, dtype=np.int64), lengths.astype(np.int64))
    if all(len(e) == 1 for e in expansion):
        seq = np.asarray([e[0] for e in expansion], dtype=np.int64)[flat] if len(flat) else flat
        owner = sentence_of
    else:
        counts = np.asarray([len(e) for e in expansion], dtype=np.int64)
        seq = np.asarray([k for w in flat.tolist() for k in expansion[w]], dtype=np.int64)
        owner = np.repeat(sentence_of, counts[flat])
    is_stop = np.asarray(stop, dtype=bool)
    if len(seq) >= 2:
        a, b = seq[:-1], seq[1:]
        ok = (owner[:-1] == owner[1:]) & ~(is_stop[a] & is_stop[b])
        pair_keys = (a[ok] << 32) | b[ok]
        pair_rows = owner[:-1][ok]
    else:
        pair_keys = pair_rows = np.zeros(0, dtype=np.int64)
    if not rules.pairs:
        pair_keys = pair_rows = np.zeros(0, dtype=np.int64)
    if rules.units > 0:  # content words as concepts of their own
        content = ~is_stop & np.asarray([len(k) > 1 for k in tokens], dtype=bool)
        take = content[seq]
        pair_keys = np.concatenate([pair_keys, (seq[take] << 32) | _UNIT])
        pair_rows = np.concatenate([pair_rows, owner[take]])
    concept_keys, cols = np.unique(pair_keys, return_inverse=True)
    m = len(concept_keys)
    cells = np.unique(pair_rows * max(m, 1) + cols)
    rows, cols = cells // max(m, 1), cells % max(m, 1)
    incidence = sp.csr_matrix(
        (np.ones(len(cells)), (rows, cols)), shape=(n, max(m, 1)), dtype=np.float64
    )
    return incidence, lengths, tokens, concept_keys


def _concept_table(
    texts: Sequence[str],
    docs: Sequence[int],
    positions: Sequence[int],
    respelled: dict[str, tuple[str, ...]] | None,
    rules: CoverageRules,
    weigh_from: int = 0,
    index: ConceptIndex | None = None,
    keys_of: Sequence[int] = (),
) -> _ConceptTable:
    """Concepts of every sentence and their weights (from `index` rows `keys_of` when given:
    the candidates' keys, in order)."""
    if index is not None:
        incidence = index.incidence[[index.row_of[k] for k in keys_of]].tocsr()
        lengths, tokens, concept_keys = (
            index.lengths[[index.row_of[k] for k in keys_of]],
            index.tokens,
            index.keys,
        )
    else:
        incidence, lengths, tokens, concept_keys = _concept_incidence(texts, respelled, rules)
    m = len(concept_keys)
    cells = incidence.tocoo()
    order0 = np.lexsort((cells.col, cells.row))
    rows = cells.row[order0].astype(np.int64)
    cols = cells.col[order0].astype(np.int64)
    doc_ids = np.unique(np.asarray(docs), return_inverse=True)[1].astype(np.int64)
    pos = np.asarray(positions, dtype=np.float64)
    seen = np.zeros(max(m, 1), dtype=bool)
    if weigh_from:  # the first sentences were shown: they make concepts known, not weighty
        seen[cols[rows < weigh_from]] = True
        rows, cols = rows[rows >= weigh_from], cols[rows >= weigh_from]
    # each document counts once per concept, at its earliest sentence carrying it
    d, p = doc_ids[rows], pos[rows]
    order = np.lexsort((p, d, cols))
    c_s, d_s, p_s = cols[order], d[order], p[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (c_s[1:] != c_s[:-1]) | (d_s[1:] != d_s[:-1])
    weight = np.bincount(
        c_s[first], weights=1.0 + rules.lead_weight / (1.0 + p_s[first]), minlength=max(m, 1)
    )
    df = np.bincount(c_s[first], minlength=max(m, 1))
    if rules.units > 0:
        weight = np.where((concept_keys & _UNIT) == _UNIT, weight * rules.units, weight)
    return _ConceptTable(incidence, weight, df, lengths, tokens, concept_keys, seen)


def select_coverage(
    candidates: Sequence[Candidate],
    *,
    words_budget: int | None,
    sentences_budget: int | None,
    known: Iterable[str] = frozenset(),
    min_novel: int = 1,
    rules: CoverageRules = COVERAGE,
    respelled: dict[str, tuple[str, ...]] | None = None,
    stems: Sequence[Sequence[str]] | None = None,
    restates: Callable[[], Callable[[int, list[int]], bool]] | None = None,
    seen: Sequence[Candidate] = (),
    allowed: np.ndarray | None = None,
    prior: np.ndarray | None = None,
    focus: Iterable[str] = (),
    index: ConceptIndex | None = None,
) -> list[int]:
    """Indices of the sentences that cover the most concept weight within the budget.

    The integer program of Gillick & Favre ("A Scalable Global Model for Summarization",
    2009): maximise the summed weight of the concepts covered, subject to the budget, each
    concept counted once; solved with HiGHS (``scipy.optimize.milp``). Concepts are word
    pairs (`_pair_concepts`); their weights are in `CoverageRules`. Known concepts weigh
    nothing; a sentence needs ``min_novel`` concepts not known. Near-duplicates (80 % of the
    shorter one's content stems shared) are never both picked, nor a sentence that
    ``restates()`` (a fresh check per call) says repeats the others: it is banned and the
    rest solved again.

    An update (what is new) passes the sentences the reader was shown as ``seen``: their
    concepts weigh nothing, and only ``candidates`` give weight. ``allowed``, when given,
    says which candidates may be picked at all, and ``prior`` (0-1 per candidate) what
    share of a sentence's weight it keeps: a sentence at 0.5 loses half of what its
    concepts weigh when it is picked (a linear term of the program). ``focus`` (stems of a
    question or topic) makes the concepts with one of its words weigh more. ``index``, when
    given, holds the concepts of every sentence already (`concept_index`).
    """
    n = len(candidates)
    if n == 0:
        return []
    texts = [c.text for c in candidates]
    stem_rows = stems if stems is not None else [content_stems(t) for t in texts]
    docs = [c.doc for c in candidates]
    everything = [*seen, *candidates]
    table = _concept_table(
        [c.text for c in everything],
        [c.doc for c in everything],
        [c.position for c in everything],
        respelled,
        rules,
        weigh_from=len(seen),
        index=index,
        keys_of=[c.key for c in everything] if index is not None else (),
    )
    incidence, lengths = table.incidence[len(seen) :], table.lengths[len(seen) :]
    n_docs = len(set(docs))
    min_df = max(rules.min_docs, math.ceil(rules.doc_share * n_docs)) if n_docs >= 3 else 1
    is_known = table.seen.copy()
    is_known[table.find(known)] = True
    frequent = table.df >= min_df
    w = np.where(frequent, table.weight, table.weight * rules.rare_weight)
    if focus:  # a concept with a word of the reader's question weighs more
        ids = np.asarray([table.tokens[f] for f in focus if f in table.tokens], dtype=np.int64)
        if len(ids):
            on_topic = np.isin(table.keys >> 32, ids) | np.isin(table.keys & _UNIT, ids)
            w = np.where(on_topic, w * (1.0 + rules.focus_weight), w)
    w[is_known] = 0.0
    if not (w > 0).any():
        return []
    novel = np.asarray(incidence @ (~is_known).astype(np.float64)).ravel()
    need = max(1, min_novel)
    fits = np.ones(n, dtype=bool) if words_budget is None else lengths <= words_budget
    sentence_like = np.fromiter((ends_like_sentence(t) for t in texts), bool, n)
    usable = (novel >= need) if allowed is None else (novel >= need) & allowed
    eligible = np.flatnonzero((lengths >= rules.min_words) & sentence_like & usable & fits)
    if not len(eligible) and rules.min_words > 1:
        eligible = np.flatnonzero(usable)
    gain = np.asarray(incidence[eligible] @ w).ravel()
    keep = gain > 0
    eligible, gain = eligible[keep], gain[keep]
    if not len(eligible):
        return []
    if len(eligible) > rules.max_candidates:
        density = gain / np.maximum(lengths[eligible], 1.0)
        top = np.argsort(-density, kind="stable")[: rules.max_candidates]
        order = np.sort(top)
        eligible, gain = eligible[order], gain[order]
    pool_all = [int(i) for i in eligible]
    gain_of = dict(zip(pool_all, gain.tolist(), strict=True))
    penalty = None
    if prior is not None:
        penalty = np.zeros(n)
        penalty[eligible] = (1.0 - prior[eligible]) * gain
    conflicts = _conflicts(candidates, pool_all, stem_rows, rules.no_adjacent)
    banned: set[int] = set()
    chosen: list[int] = []
    for _ in range(4):  # a restatement found after solving is banned and the rest re-solved
        pool = [i for i in pool_all if i not in banned]
        chosen = _solve(
            pool, incidence, w, lengths, words_budget, sentences_budget, conflicts, rules, penalty
        )
        if restates is None:
            break
        ordered = sorted(chosen, key=lambda i: -gain_of[i])
        kept: list[int] = []
        again = False
        check = restates()
        for i in ordered:
            if check(i, kept):
                banned.add(i)
                again = True
            else:
                kept.append(i)
        chosen = kept
        if not again:
            break
    return chosen


def _conflicts(
    candidates: Sequence[Candidate],
    pool: Sequence[int],
    stems: Sequence[Sequence[str]],
    no_adjacent: bool,
) -> list[tuple[int, int, bool]]:
    """Pairs of sentences that may not both be picked: consecutive in one article (with
    `no_adjacent`; marked True), or near-duplicates (80 % of the shorter one's content stems
    shared)."""
    out: list[tuple[int, int, bool]] = []
    if no_adjacent and len({candidates[i].doc for i in pool}) > 1:
        where = {(candidates[i].doc, candidates[i].position): i for i in pool}
        for i in pool:
            nxt = where.get((candidates[i].doc, candidates[i].position + 1))
            if nxt is not None:
                out.append((i, nxt, True))
    sets = [set(stems[i]) for i in pool]
    for a in range(len(pool)):
        for b in range(a + 1, len(pool)):
            small = min(len(sets[a]), len(sets[b]))
            if small and len(sets[a] & sets[b]) >= 0.8 * small:
                out.append((pool[a], pool[b], False))
    return out


class _Program:
    """Budgeted concept coverage over a pool of sentences, in a compact form.

    A concept only one pooled sentence carries is added to that sentence's own value; concepts
    carried by the same pooled sentences are one group with their summed weight (the program's
    optimum is unchanged, and it is several times smaller).
    """

    def __init__(
        self,
        cover: sp.csr_matrix,
        concept_w: np.ndarray,
        size: np.ndarray,
        words_budget: int | None,
        sentences_budget: int | None,
        pairs: Sequence[tuple[int, int]],
    ) -> None:
        n = cover.shape[1]
        cover = cover.tocsr()
        cover.sort_indices()
        own = np.zeros(n)
        groups: dict[tuple[int, ...], float] = defaultdict(float)
        for j in range(cover.shape[0]):
            carriers = tuple(cover.indices[cover.indptr[j] : cover.indptr[j + 1]].tolist())
            if len(carriers) == 1:
                own[carriers[0]] += concept_w[j]
            elif carriers:
                groups[carriers] += concept_w[j]
        rows = [r for r, carriers in enumerate(groups) for _ in carriers]
        cols = [k for carriers in groups for k in carriers]
        self.n, self.m = n, len(groups)
        self.own = own
        self.group_w = np.fromiter(groups.values(), np.float64, self.m)
        self.groups = sp.csr_matrix(
            (np.ones(len(rows)), (rows, cols)), shape=(self.m, n), dtype=np.float64
        )
        self.by_sentence = self.groups.T.tocsr()
        self.size = size
        self.words_budget = words_budget
        self.sentences_budget = sentences_budget
        self.pairs = list(pairs)
        partners = (
            sp.csr_matrix(
                (
                    np.ones(2 * len(pairs)),
                    (
                        [a for a, _ in pairs] + [b for _, b in pairs],
                        [b for _, b in pairs] + [a for a, _ in pairs],
                    ),
                ),
                shape=(n, n),
            )
            if pairs
            else sp.csr_matrix((n, n))
        )
        self.partners = partners.tocsr()
        self._built: LinearConstraint | None = None

    def value(self, x: np.ndarray) -> float:
        """Summed weight of the concepts a 0/1 choice covers."""
        covered = (self.groups @ x) > 0.5
        return float(self.own @ x + self.group_w[covered].sum())

    def _constraints(self) -> LinearConstraint:
        """z_g <= sum of the group's sentences; the budgets; conflicting pairs at most one."""
        if self._built is not None:
            return self._built
        n, m = self.n, self.m
        groups = self.groups.tocoo()
        rows = [groups.row, np.arange(m)]
        cols = [groups.col, n + np.arange(m)]
        data = [-np.ones(groups.nnz), np.ones(m)]
        upper = [np.zeros(m)]
        r = m
        for limit, coeff in (
            (self.words_budget, self.size),
            (self.sentences_budget, np.ones(n)),
        ):
            if limit is not None:
                rows.append(np.full(n, r))
                cols.append(np.arange(n))
                data.append(np.asarray(coeff, dtype=np.float64))
                upper.append(np.asarray([float(limit)]))
                r += 1
        if self.pairs:
            pairs = np.asarray(self.pairs)
            rows.append(np.repeat(r + np.arange(len(pairs)), 2))
            cols.append(pairs.ravel())
            data.append(np.ones(2 * len(pairs)))
            upper.append(np.ones(len(pairs)))
            r += len(pairs)
        matrix = sp.csr_matrix(
            (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))),
            shape=(r, n + m),
        )
        self._built = LinearConstraint(matrix, -np.inf, np.concatenate(upper))
        return self._built

    def solve(
        self, integral: bool, time_limit: float, gap: float, beat: float | None = None
    ) -> np.ndarray | None:
        """The program's optimum over 0/1 choices (or its LP relaxation's, `integral` off),
        within `gap` of the best; None when HiGHS finds nothing within `time_limit`, or
        nothing worth more than `beat` (a choice already in hand)."""
        n, m = self.n, self.m
        # a tiny preference for shorter sentences among equal coverage (a stable optimum)
        cost = np.concatenate([1e-6 * self.size - self.own, -self.group_w])
        options: dict[str, Any] = {"time_limit": time_limit, "presolve": True}
        if integral:
            options["mip_rel_gap"] = gap
            # With a choice in hand, HiGHS prunes every branch that cannot beat it, and its
            # own primal heuristics (a third of its time here) are not needed.
            if beat is not None:
                options["objective_bound"] = -beat
            options["mip_heuristic_effort"] = 0.0
            options["mip_heuristic_run_rins"] = False
            options["mip_heuristic_run_rens"] = False
        problem: dict[str, Any] = {
            "constraints": self._constraints(),
            "integrality": np.concatenate([np.full(n, 1.0 if integral else 0.0), np.zeros(m)]),
            "bounds": Bounds(0.0, 1.0),
        }
        with warnings.catch_warnings():
            # scipy passes HiGHS options it does not know by name on verbatim, with a warning
            warnings.filterwarnings("ignore", "Unrecognized options", RuntimeWarning)
            try:
                result = milp(cost, options=options, **problem)
            except (AttributeError, KeyError, TypeError, ValueError):  # an older HiGHS
                basic = {"time_limit", "presolve", "mip_rel_gap"}
                options = {k: v for k, v in options.items() if k in basic}
                result = milp(cost, options=options, **problem)
        return None if result.x is None else np.asarray(result.x[:n])

    def fits(self, x: np.ndarray) -> np.ndarray:
        """Which sentences can be added to the choice `x` (budget, conflicts)."""
        ok = x < 0.5
        if self.words_budget is not None:
            ok &= float(self.size @ x) + self.size <= self.words_budget + 1e-9
        if self.sentences_budget is not None and x.sum() >= self.sentences_budget - 0.5:
            ok[:] = False
        if self.pairs:
            ok &= (self.partners @ x) < 0.5
        return ok

    def greedy(self, x: np.ndarray) -> np.ndarray:
        """`x` extended greedily by value newly covered per word while anything fits."""
        x = x.copy()
        while True:
            live = self.group_w * ((self.groups @ x) < 0.5)
            gain = (self.own + self.by_sentence @ live) / np.maximum(self.size, 1.0)
            gain[~self.fits(x)] = -1.0
            best = int(np.argmax(gain))
            if gain[best] <= 0:
                return x
            x[best] = 1.0

    def improve(self, x: np.ndarray) -> tuple[np.ndarray, float]:
        """Local search: drop one picked sentence and refill greedily while that gains."""
        best = self.value(x)
        improved = True
        while improved:
            improved = False
            for k in np.flatnonzero(x > 0.5):
                y = x.copy()
                y[k] = 0.0
                y = self.greedy(y)
                value = self.value(y)
                if value > best + 1e-9:
                    x, best, improved = y, value, True
                    break
        return x, best


def _solve(
    pool: Sequence[int],
    incidence: sp.csr_matrix,
    w: np.ndarray,
    lengths: np.ndarray,
    words_budget: int | None,
    sentences_budget: int | None,
    conflicts: Sequence[tuple[int, int, bool]],
    rules: CoverageRules,
    penalty: np.ndarray | None = None,
) -> list[int]:
    """The coverage program over `pool`, solved to within `rules.gap` of its optimum.

    The LP relaxation comes first (milliseconds): when its solution is integral it is the
    optimum. Otherwise a greedy choice from its rounded-down solution, improved by local
    search, is taken when it is within `rules.gap` of the LP bound (story summaries usually
    are); only the rest go to HiGHS's branch and bound (`rules.time_limit` as a safety net).
    """
    if not pool:
        return []
    local = {i: k for k, i in enumerate(pool)}
    sub = incidence[list(pool)].tocsc()
    live = np.flatnonzero((np.diff(sub.indptr) > 0) & (w > 0))
    size = lengths[list(pool)]
    pairs = [(local[a], local[b]) for a, b, _ in conflicts if a in local and b in local]
    adjacent = {
        (local[a], local[b]) for a, b, why in conflicts if why and a in local and b in local
    }
    program = _Program(sub[:, live].T.tocsr(), w[live], size, words_budget, sentences_budget, pairs)
    if penalty is not None:
        program.own -= penalty[list(pool)]

    n = len(pool)
    relaxed = program.solve(False, rules.time_limit, rules.gap)
    if relaxed is None:
        x = program.improve(program.greedy(np.zeros(n)))[0]
    elif np.all((relaxed < 1e-6) | (relaxed > 1 - 1e-6)):
        x = (relaxed > 0.5).astype(np.float64)
    else:
        bound = float(program.own @ relaxed) + float(
            program.group_w @ np.minimum(1.0, program.groups @ relaxed)
        )
        x, value = program.improve(program.greedy((relaxed > 1 - 1e-6).astype(np.float64)))
        if value < bound * (1.0 - rules.gap):
            other, other_value = program.improve(program.greedy(np.zeros(n)))
            if other_value > value:
                x, value = other, other_value
        if value < bound * (1.0 - rules.gap):
            exact = program.solve(True, rules.time_limit, rules.gap, beat=value)
            if exact is not None:
                candidate = (exact > 0.5).astype(np.float64)
                if program.value(candidate) > value:
                    x = candidate
    picked = [int(k) for k in np.flatnonzero(x > 0.5)]
    if rules.no_adjacent:
        # consecutive sentences only when nothing else fits: fill what budget is left
        duplicates = [pr for pr in pairs if pr not in adjacent]
        cover = sub[:, live].T.tocsr()
        picked = _greedy_fill(
            picked, cover, w[live], size, words_budget, sentences_budget, duplicates
        )
    return [pool[k] for k in picked]


def _greedy_fill(
    picked: list[int],
    cover: sp.csr_matrix,
    concept_w: np.ndarray,
    size: np.ndarray,
    words_budget: int | None,
    sentences_budget: int | None,
    pairs: Sequence[tuple[int, int]],
) -> list[int]:
    """Add to `picked` (indices into the pool) greedily by weight newly covered per word
    while the budget allows; `pairs` may not both be picked. The fallback when the solver
    finds nothing in time, and the fill of words the solver left."""
    by_sentence = cover.T.tocsr()
    live = concept_w.copy()
    blocked = np.zeros(len(size), dtype=bool)
    partners: dict[int, list[int]] = defaultdict(list)
    for a, b in pairs:
        partners[a].append(b)
        partners[b].append(a)
    out = list(picked)
    used = float(size[out].sum()) if out else 0.0

    def take(k: int) -> None:
        blocked[k] = True
        live[by_sentence.indices[by_sentence.indptr[k] : by_sentence.indptr[k + 1]]] = 0.0
        for other in partners.get(k, ()):
            blocked[other] = True

    for k in out:
        take(k)
    while sentences_budget is None or len(out) < sentences_budget:
        gain = (by_sentence @ live) / np.maximum(size, 1.0)
        gain[blocked] = -1.0
        if words_budget is not None:
            gain[used + size > words_budget] = -1.0
        best = int(np.argmax(gain))
        if gain[best] <= 0:
            break
        out.append(best)
        used += size[best]
        take(best)
    return out


# --------------------------------------------------------------------------------------------
# Public API


def summarize_text(
    text: str,
    *,
    words: int | None = None,
    sentences: int | None = None,
    algorithm: str | None = None,
) -> list[str]:
    """Extractive summary of one text.

    Args:
        text: Plain text (paragraphs separated by line breaks).
        words: Word budget (never exceeded). Give this or ``sentences``.
        sentences: Sentence budget. With neither budget, 5 sentences.
        algorithm: One of ``ALGORITHMS``; default ``"briefbot"``.

    Returns:
        Sentences copied verbatim from the text, in their original order.

    Raises:
        InvalidInput: Unknown algorithm, or a budget below 1, or both budgets given.
    """
    name = _check_algorithm(algorithm)
    _check_budget(words, sentences)
    if words is None and sentences is None:
        sentences = DEFAULT_SENTENCES
    parts = split_sentences(text)
    if not parts:
        return []
    lengths = [word_count(s) for s in parts]
    if name == "briefbot":
        tuning = TEXT_TUNING
        prepared = _prepare(parts, [content_stems(s) for s in parts], tuning.unigram_weight > 0)
        chosen = _select(
            prepared,
            [0] * len(parts),
            list(range(len(parts))),
            words_budget=words,
            sentences_budget=sentences,
            tuning=tuning,
        )
    else:
        chosen = _take_by_rank(ranking(parts, name), lengths, words, sentences)
    log.debug("summarized %d sentences into %d with %s", len(parts), len(chosen), name)
    return [parts[i] for i in sorted(chosen)]


@dataclass(frozen=True)
class Candidate:
    """A sentence that may go into a story summary.

    Attributes:
        key: The sentence's id (e.g. ``Sentence.id`` in the store).
        text: The sentence, verbatim.
        doc: Id of the article it comes from.
        position: Its index in that article (0 = first sentence).
        when: The article's date, for chronological ordering; None when unknown.
        stems: ``summaries.text.content_stems(text)`` when already known (a cache; computed
            when None).
        source: The outlet's name, when known.
    """

    key: int
    text: str
    doc: int
    position: int
    when: datetime | None
    stems: tuple[str, ...] | None = None
    source: str | None = None


def _reading_order(candidate: Candidate) -> tuple[int, float, int, int]:
    when = candidate.when
    if when is None:
        return (1, 0.0, candidate.doc, candidate.position)
    return (0, when.timestamp(), candidate.doc, candidate.position)


def summarize_candidates(
    candidates: Sequence[Candidate],
    *,
    words: int | None = None,
    sentences: int | None = None,
    algorithm: str | None = None,
    known_concepts: frozenset[str] = frozenset(),
    min_novel: int = 1,
    rules: CoverageRules | None = None,
    topic: str | None = None,
    index: ConceptIndex | None = None,
) -> list[Candidate]:
    """Multi-source extractive summary of a story's sentences.

    With ``"briefbot"``: concepts (content-stem bigrams, names, numbers) weigh the number of
    articles mentioning them, so facts several outlets report come first; sentences are picked
    greedily by newly covered weight per word, favouring article leads, each further sentence
    from an already quoted article weighing 0.7 times as much (several outlets, not the most
    concise one); near-duplicates are never both picked. With another algorithm, its ranking
    is walked with the same filters.

    Args:
        candidates: The sentences to choose from (any order).
        words: Word budget (never exceeded). Give this or ``sentences``.
        sentences: Sentence budget. With neither budget, 5 sentences.
        algorithm: One of ``ALGORITHMS``; default ``"briefbot"``.
        known_concepts: Concepts the reader has already been shown (e.g. from
            :func:`novel_concepts` over earlier briefings); they weigh nothing.
        min_novel: A sentence needs at least this many concepts that are neither known nor
            covered by an already picked sentence.
        rules: Concept weights and sentence rules (default `COVERAGE`).
        topic: What the reader asked about ("briefbot" only): concepts with its content
            words weigh more (`CoverageRules.focus_weight`).
        index: `concept_index` of these candidates when kept (the same summary, faster).

    Returns:
        The picked candidates in reading order (`summaries.models.quote_order`): day by day,
        the articles' leads before their later sentences; undated articles last.

    Raises:
        InvalidInput: Unknown algorithm, or a budget below 1, or both budgets given.
    """
    name = _check_algorithm(algorithm)
    _check_budget(words, sentences)
    if words is None and sentences is None:
        sentences = DEFAULT_SENTENCES
    if not candidates:
        return []
    texts = [c.text for c in candidates]
    stems = [c.stems if c.stems is not None else tuple(content_stems(c.text)) for c in candidates]
    # one name spelled several ways is one concept ("Sergey"/"Sergei", "Choi Song-hee")
    coverage = rules or COVERAGE
    if index is not None and (name != "briefbot" or not coverage.respell):
        index = None
    if index is not None:
        respelled = index.respelled
    else:
        respelled = name_spellings(texts) if coverage.respell else {}
    if respelled:
        stems = [tuple(k for s in st for k in respelled.get(s, (s,))) for st in stems]
    spell = spelling_key if respelled else None
    if name == "briefbot":
        chosen = select_coverage(
            candidates,
            words_budget=words,
            sentences_budget=sentences,
            known=known_concepts,
            min_novel=min_novel,
            rules=coverage,
            respelled=respelled,
            stems=stems,
            restates=(lambda: _restatement_check(texts, stems)) if coverage.restatements else None,
            focus=content_stems(topic) if topic else (),
            index=index,
            allowed=(
                np.fromiter((quotable(c.text, c.position) for c in candidates), bool, len(texts))
                if coverage.quotable
                else None
            ),
        )
        picked = [candidates[i] for i in chosen]
        return sorted(picked, key=lambda c: quote_order(c.when, c.doc, c.position))
    prepared = _prepare(texts, stems, STORY_TUNING.unigram_weight > 0, spell)
    docs = [c.doc for c in candidates]
    positions = [c.position for c in candidates]
    # One document in reading order, so position-sensitive algorithms see the leads first.
    reading = sorted(range(len(candidates)), key=lambda i: _reading_order(candidates[i]))
    if name == "lead":
        order = sorted(
            range(len(candidates)),
            key=lambda i: (positions[i], _reading_order(candidates[i])),
        )
    else:
        ranked = ranking([texts[i] for i in reading], name)
        order = [reading[r] for r in ranked]
    chosen = _select(
        prepared,
        docs,
        positions,
        words_budget=words,
        sentences_budget=sentences,
        known=known_concepts,
        min_novel=min_novel,
        order=order,
        tuning=STORY_TUNING,
        restates=_restatement_check(texts, stems),
    )
    picked = [candidates[i] for i in chosen]
    return sorted(picked, key=lambda c: quote_order(c.when, c.doc, c.position))


def _restatement_check(
    texts: Sequence[str], stems: Sequence[Sequence[str]]
) -> Callable[[int, list[int]], bool]:
    """`summaries.discrepancies.Restatements` over the sentences picked so far, for `_select`."""
    restatements = Restatements()
    shown: set[str] = set()
    seen = 0

    def restates(i: int, chosen: list[int]) -> bool:
        nonlocal seen
        for j in chosen[seen:]:
            restatements.add(texts[j], stems[j])
            shown.update(content_units(stems[j]))
        seen = len(chosen)
        return restatements.restates(texts[i], stems[i], shown)

    return restates


def novel_concepts(text: str, known: frozenset[str] | set[str]) -> set[str]:
    """Concepts of ``text`` (the word pairs, names and figures story summaries weigh) that
    are not in ``known``; pass them as ``known_concepts`` to leave them out of a summary.

    Args:
        text: One sentence or a longer text (concepts are collected sentence by sentence).
        known: Concepts already shown.

    Returns:
        The new concepts (empty when the text restates known facts).
    """
    found: set[str] = set()
    for sentence in split_sentences(text):
        found |= _pair_concepts(sentence)
        found |= {c for c in concepts(sentence, content_stems(sentence)) if c[0] in "@#"}
    return found - set(known)
