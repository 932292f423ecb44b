"""The `briefbot` command line as a user runs it: output lines, exit codes, stored rows, JSON."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main

Sql = Callable[..., list[tuple[Any, ...]]]
Cli = Callable[..., Any]

FURNITURE = (
    "Trending Now",
    "Most Read",
    "Photo: Wiki Commons",
    "Related Articles",
    "Back to top button",
    "Founded by",
)
CITED_KEYS = {"text", "article_id", "outlet", "published_at", "url"}
SOURCE_KEYS = {"article_id", "outlet", "title", "published_at", "url"}
STORY_KEYS = {"id", "title", "summary", "new", "discrepancies", "sources"}
DISCREPANCY_KEYS = {"kind", "values", "article_ids"}


def _seed(seeds: Path, prefix: str) -> Path:
    [path] = sorted(seeds.glob(f"{prefix}_*.txt"))
    return path


def _check_briefing_shape(data: dict[str, Any]) -> None:
    """The brief/whatsnew JSON shape of issue 3."""
    assert isinstance(data["stories"], list)
    for story in data["stories"]:
        assert STORY_KEYS <= set(story)
        assert isinstance(story["id"], int)
        assert isinstance(story["title"], str) and story["title"]
        for item in story["summary"] + story["new"]:
            assert CITED_KEYS <= set(item)
            assert isinstance(item["text"], str) and item["text"]
            assert isinstance(item["article_id"], int)
            assert isinstance(item["outlet"], str) and item["outlet"]
            assert item["published_at"] is None or re.match(
                r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$", item["published_at"]
            )
        for d in story["discrepancies"]:
            assert DISCREPANCY_KEYS <= set(d)
            assert len(d["values"]) == len(d["article_ids"]) >= 2
            assert all(isinstance(i, int) for ids in d["article_ids"] for i in ids)
        for s in story["sources"]:
            assert SOURCE_KEYS <= set(s)
            assert isinstance(s["article_id"], int)


# ------------------------------------------------------------------------------ help, usage


def test_help_lists_every_command(cli: Cli) -> None:
    run = cli("--help")
    assert run.code == 0
    assert run.out.startswith("usage: briefbot")
    for command in ("ingest", "articles", "article", "search", "stories", "story", "brief",
                    "whatsnew", "summarize", "demo"):  # fmt: skip
        assert re.search(rf"^\s+{command}\s+\S", run.out, re.M), command


@pytest.mark.parametrize("command", ["ingest", "brief", "whatsnew", "story", "search"])
def test_every_command_has_help(cli: Cli, command: str) -> None:
    run = cli(command, "--help")
    assert run.code == 0
    assert run.out.startswith(f"usage: briefbot {command}")


def test_unknown_command_is_a_usage_error(cli: Cli) -> None:
    run = cli("frobnicate")
    assert run.code == 2
    assert "invalid choice: 'frobnicate'" in run.err


# ------------------------------------------------------------------------------ ingest


def test_ingest_mixed_folder_reports_each_input_and_exits_1(
    cli: Cli, tmp_path: Path, write: Any, samples: Any, db_path: Path, sql: Sql
) -> None:
    folder = tmp_path / "in"
    write(folder, "a_orchard.txt", samples.orchard)
    write(folder, "b_empty.txt", "")
    (folder / "c_binary.txt").write_bytes(bytes(range(256)) * 8)
    write(folder, "d_comet.txt", samples.comet)
    missing = tmp_path / "missing.txt"
    run = cli("ingest", folder, missing)
    assert run.code == 1
    assert run.lines == [
        f"stored     #1  {folder / 'a_orchard.txt'} (story 1)",
        f"rejected   {folder / 'b_empty.txt'}: {folder / 'b_empty.txt'} is empty",
        f"rejected   {folder / 'c_binary.txt'}: {folder / 'c_binary.txt'} is a binary file, not text",
        f"stored     #2  {folder / 'd_comet.txt'} (story 2)",
        f"rejected   {missing}: {missing}: no such file",
        "2 stored, 0 duplicate, 3 rejected",
    ]
    assert sql(db_path, "SELECT id, source FROM articles ORDER BY id") == [
        (1, str(folder / "a_orchard.txt")),
        (2, str(folder / "d_comet.txt")),
    ]


def test_ingest_all_good_exits_0_and_rerun_stores_nothing(
    cli: Cli, tmp_path: Path, write: Any, samples: Any, db_path: Path, sql: Sql
) -> None:
    folder = tmp_path / "in"
    for name, text in samples.unrelated.items():
        write(folder, f"{name}.txt", text)
    first = cli("ingest", folder)
    assert first.code == 0
    assert first.lines[-1] == "3 stored, 0 duplicate, 0 rejected"
    again = cli("ingest", folder)
    assert again.code == 0
    assert again.lines[-1] == "0 stored, 3 duplicate, 0 rejected"
    assert again.lines[0] == f"duplicate  of #1  {folder / 'comet.txt'} (same text as article 1)"
    assert sql(db_path, "SELECT COUNT(*) FROM articles") == [(3,)]


def test_ingest_json_lists_each_result(cli: Cli, tmp_path: Path, write: Any, samples: Any) -> None:
    path = write(tmp_path, "orchard.txt", samples.orchard)
    run = cli("ingest", "--json", path, tmp_path / "nope.txt")
    assert run.code == 1
    results = json.loads(run.out)["results"]
    assert [(r["input"], r["status"], r["article_id"]) for r in results] == [
        (str(path), "stored", 1),
        (str(tmp_path / "nope.txt"), "rejected", None),
    ]
    assert results[0]["title"] == "Hillside Orchards Report Record Cherry Harvest"
    assert results[0]["story_id"] == 1
    assert "no such file" in results[1]["reason"]


def test_ingest_stdin(cli: Cli, samples: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = io.TextIOWrapper(io.BytesIO(samples.library.encode()), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", fake)
    run = cli("ingest", "-")
    assert run.code == 0
    assert run.lines[-1] == "1 stored, 0 duplicate, 0 rejected"
    shown = cli("article", "1")
    assert shown.lines[0] == "#1 City Library Opens Robotics Workshop for Teenagers"


def test_ingest_seeds_metadata_and_no_furniture(
    cli: Cli, seeds_dir: Path, db_path: Path, sql: Sql
) -> None:
    run = cli("ingest", seeds_dir)
    assert run.code == 0
    assert run.lines[-1] == "5 stored, 0 duplicate, 0 rejected"
    rows = {
        Path(source).name[:3]: (outlet, published, text)
        for source, outlet, published, text in sql(
            db_path, "SELECT source, outlet, published_at, text FROM articles"
        )
    }
    assert sorted(rows) == ["000", "001", "002", "003", "004"]
    assert "BNN" in (rows["004"][0] or "")
    assert rows["004"][1] == "2024-01-15T08:07:00+00:00"
    assert rows["000"][1] == "2024-01-16T09:49:00+00:00"
    assert (rows["003"][1] or "").startswith("2024-01-15")
    assert rows["001"][1] is None
    assert rows["002"][1] is None
    for prefix, (_, _, text) in rows.items():
        for line in text.splitlines():
            for junk in FURNITURE:
                assert junk not in line, f"{prefix}: furniture {junk!r} kept in {line!r}"
    again = cli("ingest", seeds_dir)
    assert again.code == 0
    assert again.lines[-1] == "0 stored, 5 duplicate, 0 rejected"
    assert sql(db_path, "SELECT COUNT(*) FROM articles") == [(5,)]


def test_ingest_console_script_exit_codes(tmp_path: Path, samples: Any, write: Any) -> None:
    """The installed `briefbot` script, as a shell sees it."""
    script = Path(sys.executable).with_name("briefbot")
    if not script.exists():
        pytest.skip("briefbot console script not installed next to this python")
    good = write(tmp_path, "orchard.txt", samples.orchard)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    db = tmp_path / "x.db"
    ok = subprocess.run(
        [script, "--db", db, "ingest", good], capture_output=True, text=True, env=env,
        cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run(
        [script, "--db", db, "ingest", good, tmp_path / "missing.txt"], capture_output=True,
        text=True, env=env, cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert bad.returncode == 1
    assert bad.stdout.splitlines()[-1] == "0 stored, 1 duplicate, 1 rejected"
    assert "Traceback" not in bad.stderr


# ------------------------------------------------------------------------------ reading


def test_article_shows_metadata_and_text(cli: Cli, seeds_dir: Path) -> None:
    cli("ingest", _seed(seeds_dir, "004"))
    run = cli("article", "1")
    assert run.code == 0
    assert run.lines[:7] == [
        "#1 Russia-North Korea Relations Deepen Amid Alleged Missile Usage in Ukraine",
        "outlet:    BNN Newsroom",
        "author:    BNN Correspondents",
        "published: 2024-01-15T08:07:00+00:00",
        f"source:    {_seed(seeds_dir, '004')}",
        "language:  en",
        "story:     1",
    ]
    assert run.lines[7] == ""
    assert run.lines[8].startswith("On January 16, Moscow is set to host a pivotal meeting")
    data = json.loads(cli("article", "1", "--json").out)
    assert data["outlet"] == "BNN Newsroom"
    assert data["published_at"] == "2024-01-15T08:07:00+00:00"
    assert data["text"].startswith("On January 16, Moscow")


def test_undated_article_says_so(cli: Cli, tmp_path: Path, write: Any, samples: Any) -> None:
    cli("ingest", write(tmp_path, "library.txt", samples.library))
    run = cli("article", "1")
    assert re.fullmatch(r"published: not stated \(fetched \d{4}-\d\d-\d\dT.*\)", run.lines[3])
    assert json.loads(cli("article", "1", "--json").out)["published_at"] is None


def test_unknown_article_exits_1(cli: Cli) -> None:
    run = cli("article", "42")
    assert run.code == 1
    assert run.err.strip() == "briefbot: no article with id 42"


def test_articles_list(cli: Cli, tmp_path: Path, write: Any, samples: Any) -> None:
    assert cli("articles").lines == [
        "No articles stored yet. Add some with `briefbot ingest PATH|URL`."
    ]
    cli("ingest", write(tmp_path, "orchard.txt", samples.orchard))
    [line] = cli("articles").lines
    assert line.startswith("#1 ")
    assert line.endswith("Hillside Orchards Report Record Cherry Harvest")


# ------------------------------------------------------------------------------ search


def test_search_ranked_with_snippets(cli: Cli, seeds_dir: Path) -> None:
    cli("ingest", seeds_dir)
    run = cli("search", "lavrov")
    assert run.code == 0
    heads = [line for line in run.lines if line.startswith("#")]
    snippets = [line for line in run.lines if line.startswith("    ")]
    assert len(heads) == 5
    assert len(snippets) >= 5
    assert all("**Lavrov**" in s for s in snippets if "Lavrov" in s)
    assert re.match(r"^#\d+ .* — .* \(story 1\)$", heads[0])
    data = json.loads(cli("search", "hypersonic", "missile", "--json").out)
    assert data["query"] == "hypersonic missile"
    assert [Path(r["source"]).name[:3] for r in data["results"]] == ["003"]
    assert "**hypersonic**" in data["results"][0]["snippet"]
    ranks = [r["rank"] for r in json.loads(cli("search", "lavrov", "--json").out)["results"]]
    assert ranks == sorted(ranks)


def test_search_with_no_match_says_so(cli: Cli, tmp_path: Path, write: Any, samples: Any) -> None:
    cli("ingest", write(tmp_path, "orchard.txt", samples.orchard))
    run = cli("search", "submarine")
    assert run.code == 0
    assert run.lines == ["No articles match “submarine”."]


@pytest.mark.parametrize("query", ["", "  ", '"', "*", "(("])
def test_search_without_a_word_is_a_clear_usage_error(cli: Cli, query: str) -> None:
    run = cli("search", query)
    assert run.code == 2
    assert run.err.strip() == "briefbot: give at least one word to look for"


@pytest.mark.parametrize(
    "query", ['"cherry', "cherry*", "AND(", "cherry AND(", "NEAR(cherry", "-cherry", "title:x",
              "o'brien", "^cherry", "cherry OR", "NOT cherry"],
)  # fmt: skip
def test_search_fts_syntax_never_crashes(
    cli: Cli, tmp_path: Path, write: Any, samples: Any, query: str
) -> None:
    cli("ingest", write(tmp_path, "orchard.txt", samples.orchard))
    run = cli("search", "--", query)
    assert run.code == 0, run.err
    assert "Traceback" not in run.err


# ------------------------------------------------------------------------------ stories


def test_stories_empty_and_listed(cli: Cli, tmp_path: Path, write: Any, samples: Any) -> None:
    empty = cli("stories")
    assert (empty.code, empty.lines) == (0, ["No stories yet: ingest some articles first."])
    assert json.loads(cli("stories", "--json").out) == {"stories": []}
    for name in ("ridgeway", "lowland"):
        write(tmp_path / "in", f"{name}.txt", getattr(samples, name))
    write(tmp_path / "in", "orchard.txt", samples.orchard)
    cli("ingest", tmp_path / "in")
    run = cli("stories")
    assert run.code == 0
    assert len(run.lines) == 2
    # most recent news first: the undated orchard article counts from when it was read
    lines = sorted(run.lines)
    assert re.match(r"^story 1\s+2 articles\s+\d{4}-\d\d-\d\d", lines[0])
    assert re.match(r"^story 2\s+1 article\s+\d{4}-\d\d-\d\d\s+Hillside Orchards", lines[1])
    data = json.loads(cli("stories", "--json").out)["stories"]
    assert sorted((s["id"], s["articles"]) for s in data) == [(1, 2), (2, 1)]
    assert set(data[0]) >= {"id", "title", "articles", "first_seen", "last_seen", "outlets"}


def test_unknown_story_exits_1(cli: Cli, tmp_path: Path, write: Any, samples: Any) -> None:
    cli("ingest", write(tmp_path, "orchard.txt", samples.orchard))
    run = cli("story", "99")
    assert run.code == 1
    assert run.err.strip() == "briefbot: no story with id 99"
    assert run.out == ""


def test_story_json_on_seeds_shows_name_discrepancies(cli: Cli, seeds_dir: Path) -> None:
    cli("ingest", seeds_dir)
    run = cli("story", "1", "--json")
    assert run.code == 0
    story = json.loads(run.out)
    _check_briefing_shape({"stories": [story]})
    names = [d for d in story["discrepancies"] if d["kind"] == "name"]
    values = [set(d["values"]) for d in names]
    assert {"Choe Son Hui", "Choe Sun Hui", "Choi Song-hee"} in [
        v & {"Choe Son Hui", "Choe Sun Hui", "Choi Song-hee"} for v in values
    ]
    assert {"Sergei Lavrov", "Sergey Lavrov", "Sergi Lavrov"} in [
        v & {"Sergei Lavrov", "Sergey Lavrov", "Sergi Lavrov"} for v in values
    ]
    # the Choe and Lavrov variants are two entities, never merged into one
    assert not [v for v in values if "Choe Son Hui" in v and "Sergei Lavrov" in v]
    assert len(story["sources"]) == 5
    text = cli("story", "1").out
    assert "Where outlets disagree:" in text
    assert "“Sergi Lavrov”" in text


# ------------------------------------------------------------------------------ brief


def test_brief_on_empty_store(cli: Cli, db_path: Path, sql: Sql) -> None:
    run = cli("brief")
    assert run.code == 0
    assert run.lines[0].startswith("No stories yet")
    assert sql(db_path, "SELECT COUNT(*) FROM deliveries") == [(0,)]


def test_brief_on_empty_store_names_the_cli_command(cli: Cli) -> None:
    run = cli("brief")
    assert "/ingest" not in run.out
    assert "briefbot ingest" in run.out


def test_whatsnew_on_empty_store_says_there_are_no_stories(cli: Cli) -> None:
    run = cli("whatsnew")
    assert run.code == 0
    assert run.out == (
        "No stories yet. Add articles with `briefbot ingest PATH|URL` or a feed with "
        "`briefbot feed add URL`.\n"
    )


def test_whatsnew_for_an_audience_never_briefed_names_its_baseline(
    cli: Cli, tmp_path: Path, write: Any, samples: Any
) -> None:
    for name in ("ridgeway", "lowland"):
        write(tmp_path / "in", f"{name}.txt", getattr(samples, name))
    cli("ingest", tmp_path / "in")
    nothing = cli("whatsnew", "--audience", "N", "--since", "2099-01-01")
    assert (nothing.code, nothing.out) == (0, "Nothing new since 01 Jan 2099 00:00 UTC.\n")
    everything = cli("whatsnew", "--audience", "N", "--since", "2000-01-01")
    assert "New since 01 Jan 2000 00:00 UTC:" in everything.lines
    assert "New since your last briefing:" not in everything.lines


def test_brief_dry_run_records_nothing_and_brief_records_one_delivery(
    cli: Cli, tmp_path: Path, write: Any, samples: Any, db_path: Path, sql: Sql
) -> None:
    for name in ("ridgeway", "lowland", "eastfold", "orchard"):
        write(tmp_path / "in", f"{name}.txt", getattr(samples, name))
    cli("ingest", tmp_path / "in")
    dry = cli("brief", "--audience", "A", "--dry-run")
    assert dry.code == 0
    assert dry.lines[0] == "Briefing: 2 stories."
    assert "recorded as briefing" not in dry.out
    for table in ("deliveries", "delivery_articles", "delivery_sentences"):
        assert sql(db_path, f"SELECT COUNT(*) FROM {table}") == [(0,)]
    real = cli("brief", "--audience", "A")
    assert real.code == 0
    assert real.lines[-1] == "(recorded as briefing 1 for cli:A)"
    assert sql(db_path, "SELECT id, audience FROM deliveries") == [(1, "cli:A")]
    assert sql(db_path, "SELECT COUNT(*) FROM delivery_articles WHERE delivery_id = 1") == [(4,)]
    shown = sql(
        db_path,
        "SELECT s.text FROM delivery_sentences ds JOIN sentences s ON s.id = ds.sentence_id",
    )
    bullets = [line for line in real.lines if line.startswith("• ")]
    assert len(shown) == len(bullets) > 0
    for (text,) in shown:
        assert any(text in b for b in bullets)


def test_brief_json_shape(cli: Cli, seeds_dir: Path) -> None:
    cli("ingest", seeds_dir)
    run = cli("brief", "--json", "--dry-run")
    assert run.code == 0
    data = json.loads(run.out)
    _check_briefing_shape(data)
    [story] = data["stories"]
    assert story["summary"]
    assert story["new"] == []
    assert data["delivery_id"] is None


def test_brief_topic_without_match_exits_1(
    cli: Cli, tmp_path: Path, write: Any, samples: Any, db_path: Path, sql: Sql
) -> None:
    cli("ingest", write(tmp_path, "orchard.txt", samples.orchard))
    run = cli("brief", "--topic", "volcano")
    assert run.code == 1
    assert run.lines == ["No stories on “volcano” yet."]
    assert sql(db_path, "SELECT COUNT(*) FROM deliveries") == [(0,)]
    hit = cli("brief", "--topic", "cherry", "--dry-run")
    assert hit.code == 0
    assert "Hillside Orchards Report Record Cherry Harvest" in hit.out


@pytest.mark.parametrize("when", ["2024-01-15", "2024-01-15T08:00", "36h", "7d", "2w", "yesterday"])
def test_brief_since_accepts_documented_forms(cli: Cli, when: str) -> None:
    run = cli("brief", "--since", when, "--dry-run")
    assert run.code == 0, run.err


def test_brief_since_garbage_is_a_usage_error(cli: Cli) -> None:
    run = cli("brief", "--since", "tomorrowish")
    assert run.code == 2
    assert "--since" in run.err
    assert "tomorrowish" in run.err
    assert "Traceback" not in run.err


# ------------------------------------------------------------------------------ what is new


def _run(db: Path, *args: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--db", str(db), *[str(a) for a in args]])
    return code, out.getvalue(), err.getvalue()


class SeedFlow:
    """Seeds: 001 alone, audience A briefed, the rest ingested, `whatsnew --audience A --json`."""

    def __init__(self, db: Path, seeds: Path) -> None:
        self.db = db
        self.first = _seed(seeds, "001")
        code, out, err = _run(db, "ingest", self.first)
        assert code == 0, err
        code, out, err = _run(db, "brief", "--audience", "A")
        assert code == 0, err
        assert "(recorded as briefing 1 for cli:A)" in out
        code, out, err = _run(db, "ingest", seeds)
        assert code == 0, err
        assert out.splitlines()[-1] == "4 stored, 1 duplicate, 0 rejected"
        code, out, err = _run(db, "whatsnew", "--audience", "A", "--json")
        assert code == 0, err
        self.whatsnew = json.loads(out)
        self.new = [item for s in self.whatsnew["stories"] for item in s["new"]]


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory) -> SeedFlow:
    seeds = Path(__file__).resolve().parents[3] / "shared" / "seeds"
    if not seeds.is_dir() or len(list(seeds.glob("*.txt"))) < 5:
        pytest.skip(f"seed articles not found at {seeds}")
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("BRIEFBOT_")}
    try:
        return SeedFlow(tmp_path_factory.mktemp("flow") / "flow.db", seeds)
    finally:
        os.environ.update(saved)


def test_whats_new_on_seeds_has_the_january_news(flow: SeedFlow) -> None:
    _check_briefing_shape(flow.whatsnew)
    assert len(flow.whatsnew["stories"]) == 1
    texts = [item["text"] for item in flow.new]
    assert any(
        re.search(r"\b(Choe|Choi)\b", t) and re.search(r"\b(Russia|Moscow)\b", t) for t in texts
    ), "the foreign minister's January trip to Russia is missing"
    assert any(re.search(r"ballistic missile|White House", t) for t in texts), (
        "the White House / ballistic missile allegations are missing"
    )
    assert all(item["updates_briefing"] == 1 for item in flow.new)


def test_whats_new_on_seeds_repeats_nothing_from_the_october_article(
    flow: SeedFlow, sql: Sql
) -> None:
    [(first_id,)] = sql(flow.db, "SELECT id FROM articles WHERE source = ?", [str(flow.first)])
    shown = {
        r[0] for r in sql(flow.db, "SELECT text FROM sentences WHERE article_id = ?", [first_id])
    }
    assert flow.new
    assert [item["text"] for item in flow.new if item["text"] in shown] == []
    assert [item for item in flow.new if item["article_id"] == first_id] == []


def test_whats_new_on_seeds_has_the_hypersonic_missile_test(flow: SeedFlow) -> None:
    # One story moved, so its update gets a full story's room (story_words), not new_words.
    assert any("hypersonic" in item["text"] for item in flow.new)
    assert sum(len(item["text"].split()) for item in flow.new) <= 250


def test_never_briefed_audience_with_since_gets_january_as_new(flow: SeedFlow) -> None:
    code, out, err = _run(flow.db, "whatsnew", "--audience", "B", "--since", "2023-12-01", "--json")
    assert code == 0, err
    data = json.loads(out)
    _check_briefing_shape(data)
    new = [item for s in data["stories"] for item in s["new"]]
    january = [i for i in new if (i["published_at"] or "").startswith("2024-01")]
    assert january, new
    assert data["since"] == "2023-12-01T00:00:00+00:00"


def test_second_briefing_leaves_nothing_new(flow: SeedFlow) -> None:
    code, out, err = _run(flow.db, "brief", "--audience", "A")
    assert code == 0, err
    code, out, err = _run(flow.db, "whatsnew", "--audience", "A")
    assert code == 0, err
    assert out.strip() == "Nothing new since your last briefing."
    code, out, err = _run(flow.db, "whatsnew", "--audience", "A", "--json")
    assert json.loads(out)["stories"] == []


# ------------------------------------------------------------------ feeds: counts, explain

BERTH = (
    "The harbour board of Port Alder approved a second ferry berth on Tuesday, ending a review "
    "that lasted three years and drew objections from the fishing cooperative."
)
FERRY = (
    "The island ferry will sail every hour from June, the operator said on Monday, after "
    "passenger numbers doubled over two summers on the crossing to Gull Island."
)
FEED = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Port Alder Post</title>
<item><title>Second Berth Approved</title><guid>berth</guid><description>{BERTH}</description></item>
<item><title>Hourly Ferries</title><guid>ferry</guid><description>{FERRY}</description></item>
<item><title>Quay Roadworks</title><guid>roadworks</guid><description>Roadworks tonight.</description></item>
</channel></rss>"""


def test_ingesting_a_feed_says_what_became_of_its_entries(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "post.rss"
    path.write_text(FEED, encoding="utf-8")

    run = cli("ingest", path)

    assert run.code == 1  # one entry was rejected
    assert run.lines[-2:] == [
        f"Feed {path}: 3 entries: 2 stored, 0 duplicate, 1 skipped: 1 too short.",
        "2 stored, 0 duplicate, 1 rejected",
    ]


def test_explain_an_article_and_a_never_seen_url(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "post.rss"
    path.write_text(FEED, encoding="utf-8")
    cli("ingest", path)
    cli("brief", "--audience", "desk")

    run = cli("explain", "1")

    assert run.code == 0
    assert run.lines[0] == "1: stored as article #1"
    assert run.lines[1].startswith(f"from: {path}, ")  # and when
    assert run.lines[2].startswith("#1 “Second Berth Approved” — Port Alder Post, story ")
    assert run.lines[3] == "text: the feed entry's own"
    assert run.lines[4].startswith("shown to cli:desk: briefing 1, ")

    never = cli("explain", "https://nowhere.example/x")
    assert never.code == 1
    assert never.lines == [
        "https://nowhere.example/x: never seen (not stored, and no feed or ingest mentioned it)."
    ]
    data = json.loads(cli("explain", "1", "--json").out)
    assert data["status"] == "stored" and data["article"]["id"] == 1
    assert data["deliveries"][0]["audience"] == "cli:desk"
