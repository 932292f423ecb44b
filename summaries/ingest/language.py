"""The language of an article's text, detected offline (py3langid: a model shipped in the wheel).

py3langid is the maintained fork of langid.py (97 languages, a naive Bayes model over byte
n-grams, no download at run time). Its model takes about two seconds to load, so it is loaded on
first use, once per process (`warm_up` in a worker thread keeps that off an event loop); a
classification then costs under a millisecond.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from summaries.text import count_words

log = logging.getLogger(__name__)

MIN_WORDS = 8
"""Texts shorter than this are not classified (a headline alone is too little to go on)."""

MIN_CONFIDENCE = 0.9
"""Normalised probability the best language needs; below it the language stays unknown."""

SAMPLE_CHARS = 600
"""Only the start of a long text is looked at (about 0.7 ms; 3,000 characters cost 5 ms and
change nothing on news text: the confidence is above 0.999 from a few sentences on)."""

_lock = threading.Lock()
_identifier: list[Any] = []


def _model() -> Any:
    with _lock:
        if not _identifier:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _identifier.append(LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True))
        return _identifier[0]


def warm_up() -> None:
    """Load the model now (blocking: call it in a worker thread, not on an event loop)."""
    _model()


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the language `text` is written in, when it is clear.

    Args:
        text: Cleaned article text.

    Returns:
        A code such as "en", "de" or "zh"; None for a text too short to tell or when no
        language reaches `MIN_CONFIDENCE`.
    """
    sample = text[:SAMPLE_CHARS]
    if count_words(sample) < MIN_WORDS:
        return None
    code, confidence = _model().classify(sample)
    if confidence < MIN_CONFIDENCE or not isinstance(code, str) or len(code) != 2:
        log.debug("language unclear (%s at %.2f)", code, confidence)
        return None
    return code
