"""bench/stories.py: the B-cubed scores and the WikiRef220 labels it reads from file names."""

from __future__ import annotations

import pytest

from bench.stories import bcubed, briefbot_f1, mean_rows, wikiref_label


def test_bcubed_of_a_known_clustering() -> None:
    # gold: {a, b, c} and {d, e}; predicted: {a, b} and {c, d, e}
    gold = {"a": 1, "b": 1, "c": 1, "d": 2, "e": 2}
    predicted = {"a": "x", "b": "x", "c": "y", "d": "y", "e": "y"}
    p, r, f = bcubed(predicted, gold, list(gold))
    # precision: a, b 2/2; c 1/3; d, e 2/3 -> (1 + 1 + 1/3 + 2/3 + 2/3) / 5
    assert p == pytest.approx((2 + 1 / 3 + 4 / 3) / 5)
    # recall: a, b 2/3; c 1/3; d, e 2/2 -> (2/3 + 2/3 + 1/3 + 1 + 1) / 5
    assert r == pytest.approx((5 / 3 + 2) / 5)
    assert f == pytest.approx(2 * p * r / (p + r))


def test_bcubed_baselines_and_a_subset() -> None:
    gold = {"a": 1, "b": 1, "c": 2, "d": 3}
    assert bcubed({k: k for k in gold}, gold, list(gold))[:2] == (1.0, pytest.approx(0.75))
    p, r, _ = bcubed(dict.fromkeys(gold, 0), gold, list(gold))
    assert (p, r) == (pytest.approx((0.5 + 0.5 + 0.25 + 0.25) / 4), 1.0)
    # scored on "c" alone, a story shared with "d" still halves its precision
    assert bcubed({"a": 0, "b": 0, "c": 9, "d": 9}, gold, ["c"]) == (0.5, 1.0, pytest.approx(2 / 3))


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("ParisAttacks2015 (12).txt", "ParisAttacks2015"),
        ("michelle.obama.7.txt", "michelle.obama"),
        ("NBA.draft.2.txt", "NBA.draft"),
        ("U2.txt", "U2"),
        ("README.source.txt", None),
        ("notes.md", None),
    ],
)
def test_wikiref_labels_come_from_the_file_name(name: str, label: str | None) -> None:
    assert wikiref_label(name) == label


def test_orders_are_averaged_row_by_row_and_listed_per_order() -> None:
    one = [
        ["DUC 2004", "briefbot", 10, 2, 3, 0.8, 0.6, 0.7],
        ["DUC 2004", "singletons", 10, 2, 10, 1.0, 0.2, 0.3],
    ]
    two = [
        ["DUC 2004", "briefbot", 10, 2, 5, 0.6, 0.8, 0.5],
        ["DUC 2004", "singletons", 10, 2, 10, 1.0, 0.2, 0.3],
    ]
    mean = mean_rows([one, two])
    assert mean[0] == ["DUC 2004", "briefbot", 10, 2, 4.0, pytest.approx(0.7), 0.7, 0.6]
    assert mean[1][4:] == [10.0, 1.0, 0.2, 0.3]
    assert briefbot_f1([one, two]) == {"DUC 2004": [0.7, 0.5]}
