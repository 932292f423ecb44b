"""PostgreSQL full-text search that finds what SQLite's FTS5 (porter, unicode61) finds.

The SQLite store indexes titles and texts with FTS5's `porter unicode61` tokenizer: a word is a
run of letters and digits (every other character separates words, curly quotes and dashes
included), case and diacritics are folded ("Café" finds "cafe"), every word is kept (no stop
words: "the" is searchable) and words are reduced with the Porter stemmer. PostgreSQL's
`english` configuration differs in each of these: it drops stop words, keeps diacritics, stems
with Porter2, and its parser keeps "e-mail", "U.S." or "3.5" as one token; in a database with
the C locale it even reads every non-ASCII character as a letter ("plan—“approved”" is one
word). The PostgreSQL store therefore indexes a normalised text instead:

* `briefbot_search_text(text)`: decomposes (NFD), drops combining diacritics (U+0300-U+036F)
  and replaces every character FTS5's unicode61 treats as a separator by a space (`SEPARATORS`,
  probed from SQLite's tokenizer; `tests/summaries/test_search.py` checks it still agrees);
* `briefbot_lower(text)`: lower case, with ICU's Unicode rules when the server has them (the
  `und-x-icu` collation), else the database's own;
* the `briefbot` text search configuration: the default parser, then Snowball's original
  Porter stemmer without a stop-word list (numbers are kept as they are).

Queries get the same treatment: `tsquery` folds the user's words in Python the same way (NFD,
diacritics, separators) and the statement lower-cases them with `briefbot_lower`. Nothing here
needs an extension or superuser rights: the functions and the configuration are created by the
migration that uses them (a UTF8 database is required for `normalize`).

Snippets: `ts_headline` runs over the normalised text (so "cafe" is highlighted in "Café"), and
`map_headline` carries the highlighted fragment back onto the original text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from summaries.errors import InvalidInput

# Code points FTS5's unicode61 tokenizer (SQLite 3.40, remove_diacritics=1) treats as separators,
# as hexadecimal ranges; combining diacritics U+0300-U+036F are dropped before, so not listed.
# Made by tokenizing "q<c>q" for every code point with FTS5 and keeping those that split it.
SEPARATORS = """
    1-2f 3a-40 5b-60 7b-a9 ab-b1 b4 b6-b8 bb bf d7 f7 2c2-2c5 2d2-2df 2e5-2eb 2ed 2ef-2ff 375
    37e 384-385 387 3f6 482-489 55a-55f 589-58a 58f 591-5c7 5f3-5f4 600-604 606-61b 61e-61f
    64b-65f 66a-66d 670 6d4 6d6-6e4 6e7-6ed 6fd-6fe 700-70d 70f 711 730-74a 7a6-7b0 7eb-7f3
    7f6-7f9 816-819 81b-823 825-827 829-82d 830-83e 859-85b 85e 8e4-8fe 900-903 93a-93c 93e-94f
    951-957 962-965 970 981-983 9bc 9be-9c4 9c7-9c8 9cb-9cd 9d7 9e2-9e3 9f2-9f3 9fa-9fb a01-a03
    a3c a3e-a42 a47-a48 a4b-a4d a51 a70-a71 a75 a81-a83 abc abe-ac5 ac7-ac9 acb-acd ae2-ae3
    af0-af1 b01-b03 b3c b3e-b44 b47-b48 b4b-b4d b56-b57 b62-b63 b70 b82 bbe-bc2 bc6-bc8 bca-bcd
    bd7 bf3-bfa c01-c03 c3e-c44 c46-c48 c4a-c4d c55-c56 c62-c63 c7f c82-c83 cbc cbe-cc4 cc6-cc8
    cca-ccd cd5-cd6 ce2-ce3 d02-d03 d3e-d44 d46-d48 d4a-d4d d57 d62-d63 d79 d82-d83 dca dcf-dd4
    dd6 dd8-ddf df2-df4 e31 e34-e3a e3f e47-e4f e5a-e5b eb1 eb4-eb9 ebb-ebc ec8-ecd f01-f1f
    f34-f3f f71-f87 f8d-f97 f99-fbc fbe-fcc fce-fda 102b-103e 104a-104f 1056-1059 105e-1060
    1062-1064 1067-106d 1071-1074 1082-108d 108f 109a-109f 10fb 135d-1368 1390-1399 1400
    166d-166e 1680 169b-169c 16eb-16ed 1712-1714 1732-1736 1752-1753 1772-1773 17b4-17d6
    17d8-17db 17dd 1800-180e 18a9 1920-192b 1930-193b 1940 1944-1945 19b0-19c0 19c8-19c9
    19de-19ff 1a17-1a1b 1a1e-1a1f 1a55-1a5e 1a60-1a7c 1a7f 1aa0-1aa6 1aa8-1aad 1b00-1b04
    1b34-1b44 1b5a-1b7c 1b80-1b82 1ba1-1bad 1be6-1bf3 1bfc-1bff 1c24-1c37 1c3b-1c3f 1c7e-1c7f
    1cc0-1cc7 1cd0-1ce8 1ced 1cf2-1cf4 1dc0-1de6 1dfc-1dff 1fbd 1fbf-1fc1 1fcd-1fcf 1fdd-1fdf
    1fed-1fef 1ffd-1ffe 2000-2064 206a-206f 207a-207e 208a-208e 20a0-20b9 20d0-20f0 2100-2101
    2103-2106 2108-2109 2114 2116-2118 211e-2123 2125 2127 2129 212e 213a-213b 2140-2144
    214a-214d 214f 2190-23f3 2400-2426 2440-244a 249c-24e9 2500-26ff 2701-2775 2794-2b4c
    2b50-2b59 2ce5-2cea 2cef-2cf1 2cf9-2cfc 2cfe-2cff 2d70 2d7f 2de0-2e2e 2e30-2e3b 2e80-2e99
    2e9b-2ef3 2f00-2fd5 2ff0-2ffb 3000-3004 3008-3020 302a-3030 3036-3037 303d-303f 3099-309c
    30a0 30fb 3190-3191 3196-319f 31c0-31e3 3200-321e 322a-3247 3250 3260-327f 328a-32b0
    32c0-32fe 3300-33ff 4dc0-4dff a490-a4c6 a4fe-a4ff a60d-a60f a66f-a67e a69f a6f0-a6f7
    a700-a716 a720-a721 a789-a78a a802 a806 a80b a823-a82b a836-a839 a874-a877 a880-a881
    a8b4-a8c4 a8ce-a8cf a8e0-a8f1 a8f8-a8fa a926-a92f a947-a953 a95f a980-a983 a9b3-a9cd
    a9de-a9df aa29-aa36 aa43 aa4c-aa4d aa5c-aa5f aa77-aa79 aa7b aab0 aab2-aab4 aab7-aab8 aabe-
    aabf aac1 aade-aadf aaeb-aaf1 aaf5-aaf6 abe3-abed fb1e fb29 fbb2-fbc1 fd3e-fd3f fdfc-fdfd
    fe00-fe19 fe20-fe26 fe30-fe52 fe54-fe66 fe68-fe6b feff ff01-ff0f ff1a-ff20 ff3b-ff40
    ff5b-ff65 ffe0-ffe6 ffe8-ffee fff9-ffff 10100-10102 10137-1013f 10179-10189 10190-1019b
    101d0-101fd 1039f 103d0 10857 1091f 1093f 10a01-10a03 10a05-10a06 10a0c-10a0f 10a38-10a3a
    10a3f 10a50-10a58 10a7f 10b39-10b3f 11000-11002 11038-1104d 11080-11082 110b0-110c1
    11100-11102 11127-11134 11140-11143 11180-11182 111b3-111c0 111c5-111c8 116ab-116b7
    12470-12473 16f51-16f7e 16f8f-16f92 1d000-1d0f5 1d100-1d126 1d129-1d1dd 1d200-1d245
    1d300-1d356 1d6c1 1d6db 1d6fb 1d715 1d735 1d74f 1d76f 1d789 1d7a9 1d7c3 1eef0-1eef1
    1f000-1f02b 1f030-1f093 1f0a0-1f0ae 1f0b1-1f0be 1f0c1-1f0cf 1f0d1-1f0df 1f110-1f12e
    1f130-1f16b 1f170-1f19a 1f1e6-1f202 1f210-1f23a 1f240-1f248 1f250-1f251 1f300-1f320
    1f330-1f335 1f337-1f37c 1f380-1f393 1f3a0-1f3c4 1f3c6-1f3ca 1f3e0-1f3f0 1f400-1f43e 1f440
    1f442-1f4f7 1f4f9-1f4fc 1f500-1f53d 1f540-1f543 1f550-1f567 1f5fb-1f640 1f645-1f64f
    1f680-1f6c5 1f700-1f773 e0001 e0020-e007f e0100-e01ef
"""


def _ranges() -> list[tuple[int, int]]:
    out = []
    for item in SEPARATORS.split():
        low, _, high = item.partition("-")
        out.append((int(low, 16), int(high or low, 16)))
    return out


_DIACRITICS = re.compile("[\u0300-\u036f]")

# Where Snowball's Porter stemmer and FTS5's part ways (18 of 22,875 distinct words of the
# benchmark corpus; the rest stem alike): FTS5 leaves words under three letters alone ("is",
# "us") and, like Porter's own C code, turns "-bli" into "-ble" and "-logi" into "-log"
# ("assembly" -> assembl, "technology" -> technolog). The words are rewritten before PostgreSQL
# stems them, each into as many characters (a snippet maps back character for character):
# the "s" of a two-letter word becomes "ſ" (a letter the stemmer leaves alone), "-bly" becomes
# "-ble", "-logy" becomes "-log" and a space. A stem must hold a vowel then a consonant.
_LETTER = "A-Za-z"
_STEM = "([A-Za-z]*[AEIOUaeiou][B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z][A-Za-z]*)"
_REWRITES: tuple[tuple[str, str, str], ...] = (
    # (pattern, Python replacement, PostgreSQL replacement)
    (f"(?<![{_LETTER}])([{_LETTER}])[sS](?![{_LETTER}])", "\\1ſ", "\\1ſ"),
    (f"(?<![{_LETTER}]){_STEM}([lL][oO][gG])[yY](?![{_LETTER}])", "\\1\\2 ", "\\1\\2 "),
    (
        f"(?<![{_LETTER}]){_STEM}([lL][oO][gG])[iI][eE][sS](?![{_LETTER}])",
        "\\1\\2   ",
        "\\1\\2   ",
    ),
    (f"(?<![{_LETTER}]){_STEM}([bB][lL])[yY](?![{_LETTER}])", "\\1\\2e", "\\1\\2e"),
    (
        f"(?<![{_LETTER}]){_STEM}([bB][lL])[iI][eE]([sS])(?![{_LETTER}])",
        "\\1\\2e\\3 ",
        "\\1\\2e\\3 ",
    ),
)


@lru_cache(maxsize=1)
def _rewrites() -> list[tuple[re.Pattern[str], str]]:
    return [(re.compile(pattern), python) for pattern, python, _ in _REWRITES]


def _stem_like_fts5(folded: str) -> str:
    for pattern, replacement in _rewrites():
        folded = pattern.sub(replacement, folded)
    return folded


@lru_cache(maxsize=1)
def _separator_re() -> re.Pattern[str]:
    parts = [
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in _ranges()
    ]
    return re.compile("[" + "".join(parts) + "]")


def separator_class() -> str:
    """The separators as a PostgreSQL regular-expression bracket expression.

    Written with literal characters only (no backslash escapes, so the function means the same
    whatever a session's `standard_conforming_strings`): the ranges that hold `]`, `^`, `\\`
    and `-` start or end on other characters.
    """
    parts = []
    for a, b in _ranges():
        for end in (a, b):
            if chr(end) in "]^\\-%'" and not (a < end < b):
                raise AssertionError(f"separator range {a:x}-{b:x} ends on {chr(end)!r}")
        parts.append(chr(a) if a == b else f"{chr(a)}-{chr(b)}")
    return "[" + "".join(parts) + "]"


def fold(text: str) -> str:
    """The text FTS5 would tokenize, minus case: NFD, diacritics dropped, separators spaced.

    The same as the database's `briefbot_search_text`.
    """
    plain = _DIACRITICS.sub("", unicodedata.normalize("NFD", text))
    return _stem_like_fts5(_separator_re().sub(" ", plain))


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """`fold(text)` and, for each of its characters, the index of the character of `text` it
    comes from (a decomposed letter maps to the one it was decomposed from)."""
    pieces: list[str] = []
    offsets: list[int] = []
    sep = _separator_re()
    for i, ch in enumerate(text):
        for part in unicodedata.normalize("NFD", ch):
            if _DIACRITICS.match(part):
                continue
            pieces.append(" " if sep.match(part) else part)
            offsets.append(i)
    return _stem_like_fts5("".join(pieces)), offsets


_WORD = re.compile(r"\w+", re.UNICODE)

# Marks the lexeme that names an article's story in its search vector (a separator: no word
# of a text or query keeps it).
STORY_MARK = "§"


def tsquery(query: str) -> str:
    """A safe `to_tsquery` text for user words, as FTS5 reads `fts_query`'s: every word must
    match, the last as a prefix; a word FTS5 splits (at `_`, say) must match as a phrase.

    Pass it through `briefbot_lower` in the statement (the case is folded there, as in the
    index).

    Raises:
        InvalidInput: When the query has no searchable word.
    """
    terms = [" ".join(fold(t).split()) for t in _WORD.findall(query)]
    terms = [t for t in terms if t]
    if not terms:
        raise InvalidInput("give at least one word to look for")
    quoted = [f"'{t}'" for t in terms]
    quoted[-1] += ":*"
    return " & ".join(quoted)


def _caseless(text: str) -> str:
    """Lower case, character for character (a character whose lower case is longer stays)."""
    return "".join(low if len(low := c.lower()) == 1 else c for c in text)


def map_headline(text: str, headline: str, start: str, stop: str) -> str | None:
    """Carry a `ts_headline` made over `fold(text)` (maybe lower-cased) back onto `text`.

    The highlighted words keep their markers; as in FTS5's snippet, a fragment cut from inside
    the text gets "…" at the cut, and one that reaches the text's start or end keeps the
    punctuation there. None when the fragment cannot be found in the folded text.
    """
    plain: list[str] = []
    marks: list[bool] = []
    rest, marked = headline, False
    while rest:
        at = rest.find(stop if marked else start)
        piece = rest if at < 0 else rest[:at]
        plain.append(piece)
        marks.extend([marked] * len(piece))
        if at < 0:
            break
        rest = rest[at + len(stop if marked else start) :]
        marked = not marked
    joined = "".join(plain)
    core = joined.strip()
    if not core:
        return None
    skip = len(joined) - len(joined.lstrip())
    marks = marks[skip : skip + len(core)]
    folded, offsets = fold_with_offsets(text)
    begin = _caseless(folded).find(_caseless(core))
    if begin < 0:
        return None
    out: list[str] = []
    run_start = 0
    for i in range(1, len(core) + 1):
        if i == len(core) or marks[i] != marks[run_start]:
            first = offsets[begin + run_start]
            last = offsets[begin + i - 1] + 1
            source = text[first:last]
            out.append(f"{start}{source}{stop}" if marks[run_start] else source)
            run_start = i
    # a folded character and the next may come from one original (a decomposed letter)
    snippet = "".join(out)
    head = text[: offsets[begin]]
    tail = text[offsets[begin + len(core) - 1] + 1 :]
    lead = "…" if fold(head).strip() else head.lstrip()
    trail = "…" if fold(tail).strip() else tail.rstrip()
    return lead + snippet + trail


def migration_statements(icu: bool) -> list[str]:
    """PostgreSQL's part of the search migration (`pgstore.SEARCH_MIGRATION`): the search
    functions and configuration (see the module docstring), and the index moved from a
    generated column of `articles` into a narrow table of its own, `article_search (id,
    story_id, search)`, kept up to date by triggers (a new article's row is written when its
    transaction commits, with the story it was given).

    A search touches only that table: a common word's thousands of matches are a few hundred
    small pages, where the wide `articles` rows (with their texts) spread them over thousands.

    Args:
        icu: The server has ICU collations: lower-case with `und-x-icu`.
    """
    lower = 'lower($1 COLLATE "und-x-icu")' if icu else "lower($1)"
    pattern = separator_class()
    text = (
        f"regexp_replace(regexp_replace(normalize($1, NFD), '[{chr(0x300)}-{chr(0x36F)}]', '', "
        f"'g'), '{pattern}', ' ', 'g')"
    )
    for rule, _, replacement in _REWRITES:
        # E'' strings: the same whatever a session's standard_conforming_strings
        escaped = replacement.replace("\\", "\\\\")
        text = f"regexp_replace({text}, '{rule}', E'{escaped}', 'g')"
    return [
        "CREATE FUNCTION briefbot_search_text(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT "
        f"PARALLEL SAFE AS $fn$ SELECT {text} $fn$",
        "CREATE FUNCTION briefbot_lower(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT "
        f"PARALLEL SAFE AS $fn$ SELECT {lower} $fn$",
        "CREATE TEXT SEARCH DICTIONARY briefbot_porter (TEMPLATE = snowball, Language = porter)",
        "CREATE TEXT SEARCH CONFIGURATION briefbot (PARSER = default)",
        "ALTER TEXT SEARCH CONFIGURATION briefbot ADD MAPPING FOR asciiword, word, numword, "
        "asciihword, hword, numhword, hword_asciipart, hword_part, hword_numpart "
        "WITH briefbot_porter",
        "ALTER TEXT SEARCH CONFIGURATION briefbot ADD MAPPING FOR email, url, host, url_path, "
        "file, sfloat, float, int, uint, version WITH simple",
        # title words weigh A, text words B (ts_rank's weights make a title word count 5x)
        "CREATE FUNCTION briefbot_search_vector(text, text) RETURNS tsvector LANGUAGE sql "
        "IMMUTABLE PARALLEL SAFE AS $fn$ SELECT "
        "setweight(to_tsvector('briefbot', briefbot_lower(briefbot_search_text($1))), 'A') || "
        "setweight(to_tsvector('briefbot', briefbot_lower(briefbot_search_text($2))), 'B') $fn$",
        # the article's story as one more lexeme ("§" + id: "§" never survives the folding),
        # so a GIN scan finds a word among a few stories' articles without reading any vector
        "CREATE FUNCTION briefbot_story_lexeme(bigint) RETURNS tsvector LANGUAGE sql "
        "IMMUTABLE PARALLEL SAFE AS $fn$ SELECT CASE WHEN $1 IS NULL THEN ''::tsvector "
        f"ELSE array_to_tsvector(ARRAY['{STORY_MARK}' || $1]) END $fn$",
        "DROP INDEX IF EXISTS articles_search",
        "ALTER TABLE articles DROP COLUMN IF EXISTS search",
        "CREATE TABLE article_search ("
        "  id BIGINT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,"
        "  story_id BIGINT,"
        "  search tsvector NOT NULL)",
        "INSERT INTO article_search (id, story_id, search) "
        "SELECT id, story_id, briefbot_search_vector(title, text) || "
        "briefbot_story_lexeme(story_id) FROM articles",
        "CREATE INDEX article_search_search ON article_search USING GIN (search)",
        "CREATE INDEX article_search_story ON article_search (story_id)",
        "CREATE FUNCTION briefbot_article_search() RETURNS trigger LANGUAGE plpgsql AS $fn$ "
        "BEGIN "
        "  IF TG_OP = 'INSERT' THEN "
        # deferred to the commit: the article has its story by then (indexed once, not
        # again when the story is set a moment later)
        "    INSERT INTO article_search (id, story_id, search) "
        "    SELECT id, story_id, briefbot_search_vector(title, text) "
        "           || briefbot_story_lexeme(story_id) FROM articles WHERE id = NEW.id "
        "    ON CONFLICT (id) DO NOTHING; "
        "  ELSIF NEW.title IS DISTINCT FROM OLD.title OR NEW.text IS DISTINCT FROM OLD.text THEN "
        "    UPDATE article_search SET story_id = NEW.story_id, "
        "    search = briefbot_search_vector(NEW.title, NEW.text) "
        "             || briefbot_story_lexeme(NEW.story_id) WHERE id = NEW.id; "
        "  ELSE "
        "    UPDATE article_search SET story_id = NEW.story_id, "
        f"    search = ts_delete(search, COALESCE('{STORY_MARK}' || OLD.story_id, '{STORY_MARK}')) "
        "             || briefbot_story_lexeme(NEW.story_id) WHERE id = NEW.id; "
        "  END IF; "
        "  RETURN NULL; "
        "END $fn$",
        "CREATE CONSTRAINT TRIGGER articles_search_insert AFTER INSERT ON articles "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION briefbot_article_search()",
        "CREATE TRIGGER articles_search_update AFTER UPDATE OF story_id, title, text ON articles "
        "FOR EACH ROW WHEN (OLD.story_id IS DISTINCT FROM NEW.story_id "
        "OR OLD.title IS DISTINCT FROM NEW.title OR OLD.text IS DISTINCT FROM NEW.text) "
        "EXECUTE FUNCTION briefbot_article_search()",
    ]
