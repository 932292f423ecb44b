"""One SQL text for two databases: SQLite-flavoured statements translated for PostgreSQL.

The store writes every query once, in the SQLite dialect the project started with (`?`
placeholders, `INSERT OR IGNORE`, scalar `MIN(a, b)`, `INDEXED BY`, `LIKE` ignoring case), and
`to_postgres` rewrites the few spots where PostgreSQL differs. Schema scripts are translated
the same way by `ddl_to_postgres` (`INTEGER PRIMARY KEY` → identity, `REAL` → double precision,
`WITHOUT ROWID` dropped, text compared byte-wise (`COLLATE "C"`), FTS5 tables left to the PostgreSQL-only part of a migration).

What is not translated (write it portably instead): `WHERE 1` (write `WHERE TRUE`), a subquery
in FROM without an alias, `SELECT DISTINCT ... ORDER BY` an expression not in the select list
(group instead), `INSERT OR REPLACE` (write `ON CONFLICT (...) DO UPDATE`), `GROUP_CONCAT`,
`json_extract`, PRAGMAs and FTS5 (dialect hooks in the store). A scalar `MAX(a, b)` becomes
`GREATEST(a, b)`, which ignores NULLs where SQLite returns NULL: wrap nullable arguments in
COALESCE. Text literals written for LIKE must not rely on `%` escapes other than `ESCAPE '\\'`.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

log = logging.getLogger(__name__)

_LITERAL = re.compile(r"('(?:[^']|'')*')")
_INDEXED_BY = re.compile(r"\s+INDEXED\s+BY\s+\w+", re.IGNORECASE)
_NOT_INDEXED = re.compile(r"\s+NOT\s+INDEXED\b", re.IGNORECASE)
_LIKE = re.compile(r"\bLIKE\b", re.IGNORECASE)
_IFNULL = re.compile(r"\bIFNULL\s*\(", re.IGNORECASE)
_MINMAX = re.compile(r"\b(MIN|MAX)\s*\(", re.IGNORECASE)
_LEASTGREATEST = re.compile(r"\b(LEAST|GREATEST)\s*\(", re.IGNORECASE)
_OR_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO\b", re.IGNORECASE)
_OR_REPLACE = re.compile(r"^\s*(INSERT\s+OR\s+REPLACE|REPLACE)\s+INTO\b", re.IGNORECASE)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)


def _split_literals(sql: str) -> list[str]:
    """Alternating [code, 'literal', code, ...] pieces."""
    return _LITERAL.split(sql)


def _top_level_comma(sql: str, start: int) -> tuple[bool, int]:
    """From just after an opening parenthesis: (a comma at depth 0?, index of the closer)."""
    depth, i, comma = 0, start, False
    quoted = False
    while i < len(sql):
        ch = sql[i]
        if ch == "'":
            quoted = not quoted
        elif not quoted:
            if ch == "(":
                depth += 1
            elif ch == ")":
                if depth == 0:
                    return comma, i
                depth -= 1
            elif ch == "," and depth == 0:
                comma = True
        i += 1
    return comma, len(sql)


def _scalar_min_max(sql: str) -> str:
    out: list[str] = []
    pos = 0
    for m in _MINMAX.finditer(sql):
        comma, _ = _top_level_comma(sql, m.end())
        if comma:
            out.append(sql[pos : m.start()])
            out.append("LEAST(" if m.group(1).upper() == "MIN" else "GREATEST(")
            pos = m.end()
    out.append(sql[pos:])
    return "".join(out)


def _top_level_returning(sql: str) -> int | None:
    depth, quoted = 0, False
    for i, ch in enumerate(sql):
        if ch == "'":
            quoted = not quoted
        elif quoted:
            continue
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and _RETURNING.match(sql, i) and (i == 0 or not sql[i - 1].isalnum()):
            return i
    return None


@lru_cache(maxsize=8192)
def to_postgres(sql: str) -> str:
    """The PostgreSQL (psycopg, `%s` placeholders) text of one SQLite-dialect statement.

    Raises:
        NotImplementedError: For `INSERT OR REPLACE`, which has no conflict target to translate.
    """
    if _OR_REPLACE.match(sql):
        raise NotImplementedError(
            "INSERT OR REPLACE has no PostgreSQL translation: write ON CONFLICT (...) DO UPDATE"
        )
    pieces = _split_literals(sql)
    for k, piece in enumerate(pieces):
        if k % 2:  # a string literal: only psycopg's % needs doubling
            pieces[k] = piece.replace("%", "%%")
            continue
        piece = piece.replace("%", "%%").replace("?", "%s")
        piece = _INDEXED_BY.sub("", piece)
        piece = _NOT_INDEXED.sub("", piece)
        piece = _LIKE.sub("ILIKE", piece)
        pieces[k] = _IFNULL.sub("COALESCE(", piece)
    out = _scalar_min_max("".join(pieces))
    if _OR_IGNORE.match(out):
        out = _OR_IGNORE.sub("INSERT INTO", out, count=1)
        at = _top_level_returning(out)
        if at is None:
            out = out.rstrip().rstrip(";") + " ON CONFLICT DO NOTHING"
        else:
            out = out[:at] + "ON CONFLICT DO NOTHING " + out[at:]
    return out


@lru_cache(maxsize=8192)
def to_sqlite(sql: str) -> str:
    """The SQLite text of a statement (`LEAST`/`GREATEST` written PostgreSQL-style work too)."""
    if "LEAST" not in sql.upper() and "GREATEST" not in sql.upper():
        return sql
    return _LEASTGREATEST.sub(lambda m: "MIN(" if m.group(1).upper() == "LEAST" else "MAX(", sql)


_DDL_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"\bINTEGER\s+PRIMARY\s+KEY\b", re.IGNORECASE),
        "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    ),
    # CAST(x AS INTEGER) in a data migration stays a cast to a (32-bit) integer
    (re.compile(r"(?<!\bAS\s)\bINTEGER\b", re.IGNORECASE), "BIGINT"),
    (re.compile(r"\bREAL\b", re.IGNORECASE), "DOUBLE PRECISION"),
    # byte order, as SQLite compares text (and whatever the server's default collation is)
    (re.compile(r"(?<!\bAS\s)\bTEXT\b"), 'TEXT COLLATE "C"'),  # the type, upper-case
    (re.compile(r"\bBLOB\b", re.IGNORECASE), "BYTEA"),
    (re.compile(r"\)\s*WITHOUT\s+ROWID\b", re.IGNORECASE), ")"),
)
_VIRTUAL = re.compile(r"^\s*CREATE\s+VIRTUAL\s+TABLE\b", re.IGNORECASE)
_PRAGMA = re.compile(r"^\s*PRAGMA\b", re.IGNORECASE)


def statements(script: str) -> list[str]:
    """The statements of a migration script (split on `;`, empty ones dropped)."""
    return [s.strip() for s in script.split(";") if s.strip()]


def ddl_to_postgres(script: str) -> list[str]:
    """PostgreSQL statements of one SQLite migration script.

    FTS5 virtual tables and PRAGMAs are dropped: full-text search is a tsvector column added
    by the PostgreSQL part of the migration that creates it.
    """
    out: list[str] = []
    for statement in statements(script):
        if _VIRTUAL.match(statement) or _PRAGMA.match(statement):
            continue
        for pattern, replacement in _DDL_RULES:
            statement = pattern.sub(replacement, statement)
        out.append(to_postgres(statement))
    return out
