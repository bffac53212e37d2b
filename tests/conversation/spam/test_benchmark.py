"""The issue's targets on real data: train on two shared files, judge the third."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from firsthand.conversation import spam
from firsthand.conversation.spam import seed
from firsthand.conversation.spam.context import JudgeContext, Policy
from firsthand.conversation.spam.verdict import Outcome
from firsthand.conversation.submission import Submission
from tests.testdata import shared_file

BENCH = Path(__file__).resolve().parents[3] / "bench" / "spam_eval.py"


def test_targets_hold_on_psy_when_trained_on_katy_perry_and_lmfao() -> None:
    train = [
        shared_file("spam/Youtube02-KatyPerry.csv"),
        shared_file("spam/Youtube03-LMFAO.csv"),
    ]
    test = shared_file("spam/Youtube01-Psy.csv")
    context = JudgeContext(policy=Policy(), counts=seed.train(train))
    caught = {True: 0, False: 0}
    marked = {True: 0, False: 0}
    total = {True: 0, False: 0}
    for number, (author, text, is_spam) in enumerate(seed.read_labelled_csv(test)):
        submission = Submission(
            post_id=1,
            kind="comment",
            author_name=author,
            author_email=f"reader{number}@example.org",
            body=text,
            form_age=30.0,
        )
        outcome = spam.judge(submission, context).outcome
        total[is_spam] += 1
        caught[is_spam] += outcome != Outcome.PUBLISH
        marked[is_spam] += outcome == Outcome.SPAM
    precision = caught[True] / (caught[True] + caught[False])
    recall = caught[True] / total[True]
    f1 = 2 * precision * recall / (precision + recall)
    held_ham = caught[False] - marked[False]
    assert f1 >= 0.95
    assert marked[False] / total[False] < 0.01
    assert held_ham / total[False] < 0.05


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("spam_eval", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["spam_eval"] = module
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_script_reports_each_test_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    bench = load_bench()
    train = [shared_file("spam/Youtube01-Psy.csv")]
    test = shared_file("spam/Youtube02-KatyPerry.csv")
    status = bench.main(["--train", str(train[0]), "--test", str(test)])
    out = capsys.readouterr().out
    assert status in (0, 1)
    assert "test Youtube02-KatyPerry.csv (175 spam, 175 legitimate)" in out
    assert "precision" in out
    assert "legitimate marked spam" in out


def test_the_benchmark_names_a_malformed_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = load_bench()
    bad = tmp_path / "bad.csv"
    bad.write_text("COMMENT_ID,AUTHOR,DATE,CONTENT,CLASS\nz,a,b\n", encoding="utf-8")
    assert bench.main(["--train", str(bad), "--test", str(bad)]) == 2
    assert "bad.csv, line 2" in capsys.readouterr().err
