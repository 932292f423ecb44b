"""Sentence splitting, word tokens, stems and concepts. Needs no data downloads.

Sentences are split by a rule-based splitter (terminal punctuation followed by a capital, a
digit or an opening quote, except after known abbreviations, initials and dotted acronyms such
as "U.S." or "a.m."). On the BBC articles it agrees with syntok except where syntok errs
(it misses "$1.30. Some analysts" and splits at semicolons) and is about seven times faster,
which matters at ingest rates of hundreds of articles a second. Stems use the Snowball English
stemmer (pure Python, shipped with NLTK, no data files).
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

from nltk.stem.snowball import SnowballStemmer

log = logging.getLogger(__name__)

_stemmer = SnowballStemmer("english")

# A compact English stop-word list (function words and reporting verbs that say nothing about
# the story). Kept here so every module agrees on what a content word is.
STOP_WORDS: frozenset[str] = frozenset(
    """
a about above after again against all almost also although am among an and another any are
around as at away be became because been before being below between both but by can cannot
could did do does doing done down during each either else enough etc even ever every few for
from further had has have having he her here hers herself him himself his how however i if in
into is it its itself just last least less let like made make many may me might mine more most
much must my myself near neither no nor not now of off often on once one only or other others
our ours ourselves out over own per perhaps put quite rather really said same say says see seem
seemed several shall she should since so some still such than that the their theirs them
themselves then there these they this those though through thus to too toward towards under
until up upon us very via was we well were what whatever when where whether which while who
whom whose why will with within without would yet you your yours yourself yourselves
mr mrs ms dr told tell according including new also year years time times week day
""".split()
)

# Words in any alphabet ("Kovačević", "São"), hyphenated words, and numbers ("1,000", "3.5").
# (Written without backtracking: letters, then more letters after each run of ' ’ -.)
_WORD_RE = re.compile(r"[^\W\d_]+(?:['’\-]+[^\W\d_]+)*|\d(?:[\d,.]*\d)?")
_NUMBER_RE = re.compile(r"^\d[\d,.]*$")
# A capitalised word, possibly hyphenated ("Song-hee") or accented ("Kovačević"), or an acronym.
_CAP_RE = re.compile(r"^[^\W\d_][^\W\d_’'\-]*(?:[’'\-][^\W\d_]+)*$")
_SPACE_RE = re.compile(r"\s+")


_ABBREVIATIONS = frozenset(
    """
mr mrs ms dr prof sr jr st mt ft gen gov sen rep col lt sgt capt cmdr adm maj brig rev hon pres
supt insp det jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs
fri sat sun no nos vol vols fig figs p pp ed eds approx est dept univ assn bros co corp inc ltd
plc llc vs v etc al cf ca
""".split()
)
# A possible boundary: terminal punctuation (Latin, Devanagari danda, Arabic and Urdu marks),
# closing quotes/brackets, space, then something that can start a sentence: not a lower-case
# letter (capitals of any alphabet, digits, letters of scripts without case).
_BOUNDARY = re.compile(r"""([.!?…।؟۔]+)(["”’')\]»]*)(\s+)(?=\S)""")
_OPENERS = "\"“‘'([«„¿¡`"
# Chinese and Japanese full stops end a sentence with no space after them.
_WIDE_END = re.compile(r"[。！？]+[」』”’）)\]】]*")
_LAST_WORD = re.compile(r"(\S+)$")
_DOTTED = re.compile(r"(?:[a-z]\.)+[a-z]\.?")


def _can_start(block: str, at: int) -> bool:
    """Whether the text at `at` can open a sentence (after opening quotes/brackets)."""
    while at < len(block) and block[at] in _OPENERS:
        at += 1
    if at >= len(block):
        return False
    c = block[at]
    return c.isdigit() or (c.isalpha() and not c.islower())


def _split_block(block: str) -> list[str]:
    out: list[str] = []
    start = 0
    for m in _WIDE_END.finditer(block):
        if m.end() < len(block):
            out.extend(_split_spaced(block[start : m.end()]))
            start = m.end()
    out.extend(_split_spaced(block[start:]))
    return out


def _split_spaced(block: str) -> list[str]:
    out: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(block):
        if not _can_start(block, m.end()):
            continue
        if m.group(1) == ".":
            before = _LAST_WORD.search(block, start, m.start(1))
            word = before.group(1).lstrip("\"“‘'([").lower() if before else ""
            if (
                word in _ABBREVIATIONS
                or (len(word) == 1 and word.isalpha())  # an initial: "J. Smith"
                or _DOTTED.fullmatch(word)  # "U.S", "a.m"
            ):
                continue
        piece = block[start : m.end(2)].strip()
        if piece:
            out.append(piece)
        start = m.end()
    piece = block[start:].strip()
    if piece:
        out.append(piece)
    return out


def split_sentences(text: str) -> list[str]:
    """Split text into sentences, verbatim (whitespace inside a sentence collapsed to one space).

    Handles abbreviations such as "U.S.", "Jan.16", "Mr.", initials and quotations. Line breaks
    always end a sentence (headings and paragraphs are never glued to the next sentence).

    Args:
        text: Cleaned article text.

    Returns:
        Sentences in order; empty strings are never returned.
    """
    sentences: list[str] = []
    for line in text.split("\n"):
        block = _SPACE_RE.sub(" ", line).strip()
        if block:
            sentences.extend(_split_block(block))
    return sentences


def words(sentence: str) -> list[str]:
    """Word and number tokens of a sentence, as written (no punctuation)."""
    return _WORD_RE.findall(sentence)  # words start and end with letters, numbers with digits


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Snowball stem of a lower-cased word (cached: the same words recur across articles)."""
    return str(_stemmer.stem(word.lower()))


def content_stems(sentence: str, language: str | None = None) -> list[str]:
    """Stems of the content words of a sentence (stop words and 1-letter words dropped).

    Numbers are kept as written without thousands separators ("1,000" -> "1000"). English
    rules (the English stop words and stemmer) apply to English and to text of unknown
    language; other languages get their own Snowball stemmer and stop words where NLTK and
    sumy ship them (else lower-cased words), and Chinese or Japanese text overlapping pairs of
    characters (it has no spaces between words).

    Args:
        sentence: One sentence.
        language: ISO 639-1 code of the text, None when unknown.
    """
    if language and language != "en":
        return _foreign_stems(sentence, language)
    out: list[str] = []
    for w in words(sentence):
        lw = w.lower()
        if _NUMBER_RE.match(w):
            out.append(w.replace(",", ""))
        elif len(lw) > 1 and lw not in STOP_WORDS:
            out.append(stem(lw))
    return out


_SNOWBALL = {
    "ar": "arabic", "da": "danish", "nl": "dutch", "fi": "finnish", "fr": "french", "de": "german",
    "hu": "hungarian", "it": "italian", "no": "norwegian", "nb": "norwegian", "pt": "portuguese",
    "ro": "romanian", "ru": "russian", "es": "spanish", "sv": "swedish",
}  # fmt: skip
_SUMY_STOP = {
    "ar": "arabic", "zh": "chinese", "cs": "czech", "fr": "french", "de": "german", "el": "greek",
    "he": "hebrew", "it": "italian", "ja": "japanese", "ko": "korean", "pl": "polish",
    "pt": "portuguese", "sk": "slovak", "es": "spanish", "sv": "swedish", "th": "thai",
    "uk": "ukrainian",
}  # fmt: skip
# Han characters and kana: Chinese and Japanese write words without spaces between them.
_HAN_KANA = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_KANA_RUN = re.compile(f"[{_HAN_KANA}]+")
_HAN_KANA_CHAR = re.compile(f"[{_HAN_KANA}]")
# Thai, Lao, Myanmar and Khmer are written without spaces between words too.
_SEA_CHAR = re.compile("[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]")
_COUNT_WORD_RE = re.compile(r"[^\W_][\w'’.-]*")


@lru_cache(maxsize=64)
def _language_tools(language: str) -> tuple[Callable[[str], str] | None, frozenset[str]]:
    """(stemmer or None, stop words) for a language other than English."""
    stemmer: Callable[[str], str] | None = None
    if language in _SNOWBALL:
        stemmer = SnowballStemmer(_SNOWBALL[language]).stem
    stop: frozenset[str] = frozenset()
    if language in _SUMY_STOP:
        from sumy.utils import get_stop_words  # ships its lists: no download

        try:
            stop = frozenset(w.lower() for w in get_stop_words(_SUMY_STOP[language]))
        except LookupError:
            log.debug("no stop words for %s", language)
    return stemmer, stop


@lru_cache(maxsize=200_000)
def _foreign_stem(word: str, language: str) -> str:
    stemmer, _ = _language_tools(language)
    return str(stemmer(word)) if stemmer is not None else word


def _foreign_stems(sentence: str, language: str) -> list[str]:
    _, stop = _language_tools(language)
    out: list[str] = []
    for w in words(sentence):
        if _NUMBER_RE.match(w):
            out.append(w.replace(",", ""))
            continue
        lw = w.lower()
        if _HAN_KANA_CHAR.search(lw):
            for run in _HAN_KANA_RUN.findall(lw):
                if len(run) == 1:
                    if run not in stop:
                        out.append(run)
                    continue
                out.extend(run[i : i + 2] for i in range(len(run) - 1))
            continue
        if len(lw) > 1 and lw not in stop:
            out.append(_foreign_stem(lw, language))
    return out


def count_words(text: str) -> int:
    """Number of words in `text`, for length rules ("too short to be an article").

    Scripts written without spaces count by characters: two Chinese or Japanese characters, or
    four Thai, Lao, Myanmar or Khmer ones, make about one word.
    """
    han = len(_HAN_KANA_CHAR.findall(text))
    sea = len(_SEA_CHAR.findall(text))
    if not han and not sea:
        return len(_COUNT_WORD_RE.findall(text))
    rest = _SEA_CHAR.sub(" ", _HAN_KANA_CHAR.sub(" ", text))
    return len(_COUNT_WORD_RE.findall(rest)) + -(-han // 2) + -(-sea // 4)


# Words that add nothing to a fact when they are the only new ones: reporting, hedging and
# time-of-report words.
WEAK_UNITS: frozenset[str] = frozenset(
    stem(w)
    for w in """
    report reported reports reporting statement stated state told added adding announced
    according official officials spokesperson spokesman spokeswoman source sources agency
    news media press conference interview earlier later latest recent recently today
    yesterday tomorrow monday tuesday wednesday thursday friday saturday sunday morning
    evening night week month meanwhile however also still already further said says
    """.split()
)


def content_units(stems: Iterable[str]) -> frozenset[str]:
    """The units of information a sentence carries: content stems and figures ("#1000")."""
    return frozenset("#" + s if s[:1].isdigit() else s for s in stems)


@lru_cache(maxsize=131072)  # concepts, name variants and name spellings all ask
def names(sentence: str) -> tuple[str, ...]:
    """Capitalised multi-word names in a sentence ("Choe Son Hui", "Sergey Lavrov").

    The sentence's first word is only taken as part of a name when the next word is capitalised
    too. Single capitalised words inside the sentence are returned as well ("Lavrov").
    """
    toks = sentence.split()
    found: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            name = " ".join(run)
            if not (len(run) == 1 and run[0].lower() in STOP_WORDS):
                found.append(name)
            run.clear()

    for i, raw in enumerate(toks):
        tok = raw.strip(".,;:!?()[]\"“”‘’'")
        if tok.endswith(("'s", "’s")):  # a possessive (cheaper than a regex per word)
            tok = tok[:-2]
        ends_clause = raw[-1:] in ',;:.!?)"”' if raw else False
        capitalised = bool(tok) and tok[0].isupper() and bool(_CAP_RE.match(tok))
        if capitalised and not (i == 0 and tok.lower() in STOP_WORDS):
            run.append(tok)
        else:
            flush()
        if ends_clause:
            flush()
    flush()
    return tuple(found)


def concepts(sentence: str, stems: Sequence[str] | None = None) -> set[str]:
    """The concepts a sentence covers: content-stem bigrams, names and numbers.

    Used for redundancy control in summaries (a sentence whose concepts are all covered adds
    nothing). Pass `stems` (`content_stems(sentence)`) when already known.
    """
    if stems is None:
        stems = content_stems(sentence)
    out: set[str] = set()
    for a, b in itertools.pairwise(stems):
        out.add(f"{a} {b}")
    for s in stems:
        if s[:1].isdigit():
            out.add(f"#{s}")
    for name in names(sentence):
        out.add("@" + name.lower())
    return out


def normalise_space(text: str) -> str:
    """Collapse runs of spaces/tabs inside lines and runs of blank lines to one."""
    lines = [_SPACE_RE.sub(" ", line).strip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def join_nonempty(parts: Iterable[str], sep: str = " ") -> str:
    """Join the non-empty parts."""
    return sep.join(p for p in parts if p)


_SENTENCE_ENDS = frozenset(".!?…。！？।؟۔")
_CLOSERS = "\"'”’)]」』）»"
_CLOSING_QUOTES = ('"', "”", "」", "』", "»")


def ends_like_sentence(text: str) -> bool:
    """True when text ends as a sentence does: . ! ? or … (maybe followed by a quote or bracket),
    or a closing quotation mark."""
    end = text.rstrip()  # string methods: a regex anchored at the end tries every position
    return end.rstrip(_CLOSERS)[-1:] in _SENTENCE_ENDS or end.endswith(_CLOSING_QUOTES)


def is_heading_like(sentence: str) -> bool:
    """A short line that does not end like a sentence: a section heading or caption.

    Such lines ("Military Moves and Missile Tests") are kept in the article text but never
    quoted in a summary. A line ending with a colon introduces what follows; it is no heading.
    """
    text = sentence.strip()
    if ends_like_sentence(text) or text.endswith(":"):
        return False
    return len(text.split()) <= 14


# An optional opening quotation mark (plain-text wires open one with two backticks).
_OPEN_QUOTE = r"^(?:``|[\"“‘'])?"
_DANGLING = re.compile(_OPEN_QUOTE + r"(He|She|They|It|We|His|Her|Their|Its|Our)\b")


def starts_with_pronoun(sentence: str) -> bool:
    """True for "She also said..." : quoted out of its article, the pronoun points nowhere."""
    return bool(_DANGLING.match(sentence))


# A sentence opening that points at the sentence before it: a demonstrative ("These charges,
# ...", not "This week" or "This Is England") or a noun labelling what that sentence said
# ("The move drew criticism", not "The move to close the port ...").
_POINTS_BACK = re.compile(
    _OPEN_QUOTE + r"(?:"
    r"(?:This|These|That|Those|Such)\b(?!\s+(?:week|weekend|month|year|morning|afternoon|"
    r"evening|night|time|season|spring|summer|autumn|fall|winter|[A-Z]))"
    r"|(?:Following|After|Amid|Amidst|Despite|Given|Against|Beyond|Because\s+of)\s+"
    r"(?:this|that|these|those|such)\b"
    r"|The\s+(?:move|decision|step|announcement|development|remarks|comments|statement|"
    r"incident|episode|revelations?|gesture|measures?)\b"
    r"(?!\s+(?:to|by|of|on|from|that|in|at|against|was\s+announced)\b)(?!-)"
    r")"
)
# A connective continuing the sentence before: "Additionally, ...", "However, ...".
_CONNECTIVE = re.compile(
    _OPEN_QUOTE + r"(?:"
    r"(?:Additionally|Also|Besides|Furthermore|Moreover|Likewise|Similarly|However|Still|"
    r"Thus|Therefore|Hence|Meanwhile|Nevertheless|Nonetheless|Instead|Otherwise)\b"
    r"|In\s+addition\b(?!\s+to)|By\s+contrast\b|As\s+a\s+result\b"
    r")"
)


def points_back(sentence: str) -> bool:
    """True when a sentence opens by pointing at the one before it: a demonstrative ("These
    charges, ...", "Following this, ...") or a noun labelling what it said ("The move drew
    criticism"). Quoted alone, the reader cannot tell what it is about.

    Time phrases ("This week, ...") and names ("This Is England") do not point back.
    """
    return bool(_POINTS_BACK.match(sentence))


def leans_on_context(sentence: str) -> bool:
    """True when a sentence points back (`points_back`) or opens with a connective
    ("Additionally, ...", "However, ..."): it reads as a continuation, not a report."""
    return bool(_POINTS_BACK.match(sentence) or _CONNECTIVE.match(sentence))


# An actor (a capitalised name, maybe after "the") doing something: "North Korea announced",
# "Russia has already attacked", "Kim has invited", "Mayor Ines Holloway said".
_ACTOR_RE = re.compile(r"(?:\b[Tt]he\s+)?[A-Z][\w’'.\-]*(?:\s+[A-Z][\w’'.\-]*)*")
# ... or a definite common noun of one or two words: "the city will run", "The ferry operator said".
_DEFINITE_RE = re.compile(r"\b[Tt]he\s+(?=[a-z])")
_AUXILIARY = frozenset(
    """
    has have had is was were are will would can could may might shall should must been be
    not never reportedly already also later then now again formally officially recently
    just still finally quickly separately jointly allegedly
    """.split()
)
_BEFORE_OBJECT = frozenset(
    """
    of to from with between by for in on at into about against over under among amid amidst
    and or than as per via like toward towards
    """.split()
)
_IRREGULAR_PAST = frozenset(
    """
    said says told met made took gave sent began held set hit won lost left found flew fled
    ran saw became spoke wrote brought bought led chose drew struck went came got kept paid
    put sold shot stood threw rose fell grew broke built cut fought heard knew laid quit read
    sought sank spent spread stole swept swore taught thought withdrew overtook undertook
    beat caught froze hid hung lit rode rang shook shut sang slept split tore upheld
    """.split()
)


_LOOKAHEAD = 160  # characters after a subject that can hold its auxiliaries and verb


def _acts(rest: Sequence[str]) -> bool:
    """Whether the words after a subject start with its verb (after at most three auxiliaries
    or adverbs): a past tense, a reporting verb, or anything after "has/have/had/will"."""
    k = 0
    while k < min(len(rest), 3) and rest[k].lower() in _AUXILIARY:
        k += 1
    if k >= len(rest):
        return False
    verb = re.sub(r"\W+$", "", rest[k])
    if not verb.islower() or not verb.isalpha():
        return False
    if verb.endswith("ed") or verb in _IRREGULAR_PAST:
        return True
    return k > 0 and rest[0].lower() in ("has", "have", "had", "will")


def _acts_with_partners(rest: Sequence[str]) -> bool:
    """`_acts`, also past a coordinated partner of the subject: "(the U.S.) and its allies
    have alleged", "(Both Moscow) and Pyongyang have denied"."""
    if _acts(rest[:5]):
        return True
    if not rest or rest[0].lower() not in ("and", "or"):
        return False
    return any(_acts(rest[1 + size : 6 + size]) for size in (1, 2, 3))


@lru_cache(maxsize=65536)  # asked again for the same fresh sentences by every audience
def reports_an_action(sentence: str) -> bool:
    """True when an actor does something in the sentence ("North Korea announced the test",
    "Kim has invited Putin", "Ines Holloway said", "the city will run a ferry").

    News reports who did what; commentary has abstract subjects and present-tense verbs ("This
    rendezvous reflects the ties", "The intensification of relations has set the stage
    abuzz"). The actor is a run of capitalised words that is not a possessive, not a lone stop
    word ("These") and not the object of a preposition ("between Russia and North Korea
    has..."), or "the" with one or two lower-case words; its verb follows at once or after
    at most three auxiliaries or adverbs, maybe past a partner ("the U.S. and its allies have
    alleged").
    """
    for m in _ACTOR_RE.finditer(sentence):
        run = m.group(0)
        name = run.split()
        if name[0].lower() == "the":
            name = name[1:]
        if not name or run.endswith(("'s", "’s")):
            continue
        if len(name) == 1 and name[0].rstrip(".").lower() in STOP_WORDS:
            continue
        # only a few words either side matter (and long run-on "sentences" stay linear)
        before = sentence[max(0, m.start() - 40) : m.start()].rstrip()
        if before and not before.endswith(",") and before.split()[-1].lower() in _BEFORE_OBJECT:
            continue
        if _acts_with_partners(sentence[m.end() : m.end() + _LOOKAHEAD].split()[:9]):
            return True
    for m in _DEFINITE_RE.finditer(sentence):
        after = sentence[m.end() : m.end() + _LOOKAHEAD].split()[:7]
        for size in (1, 2):
            subject = after[:size]
            if len(subject) == size and all(w.isalpha() and w.islower() for w in subject):
                if subject[-1] not in _AUXILIARY and _acts(after[size:]):
                    return True
    return False
