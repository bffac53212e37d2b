"""How well the layered spam judgement separates spam from legitimate comments.

Trains the classifier on labelled files and runs the whole judgement (every layer,
not only the classifier) on each comment of another file, as a clean comment-form
submission: a plausible email address, the form sent 30 seconds after it was
shown, the honeypot empty, the site's default policy. So the timing and honeypot
layers see nothing, as they would for a spammer who types by hand, and the score
comes from the text: links, block list (empty), classifier.

    python bench/spam_eval.py                    # the three rotations of shared/
    python bench/spam_eval.py --train A.csv B.csv --test C.csv

Files are in the YouTube Spam Collection format (COMMENT_ID, AUTHOR, DATE,
CONTENT, CLASS with 1 = spam). "Caught" means held or marked spam: either way
readers do not see it. Targets (issue 3): spam F1 >= 0.95, under 1% of legitimate
comments marked spam, under 5% held.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

# Run as a script from anywhere: the repository root holds the firsthand package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from firsthand.conversation import spam
from firsthand.conversation.spam import seed
from firsthand.conversation.spam.context import JudgeContext, Policy
from firsthand.conversation.spam.verdict import Outcome
from firsthand.conversation.submission import Submission

F1_TARGET = 0.95
SPAM_SHARE_TARGET = 0.01
HELD_SHARE_TARGET = 0.05


def shared_spam_files() -> list[Path]:
    shared = Path(
        os.environ.get(
            "FIRSTHAND_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"
        )
    )
    return sorted((shared / "testdata" / "spam").glob("*.csv"))


@dataclasses.dataclass
class Tally:
    spam_caught: int = 0  # held or marked spam
    spam_marked: int = 0  # marked spam outright
    spam_total: int = 0
    ham_held: int = 0
    ham_marked: int = 0
    ham_total: int = 0
    seconds: float = 0.0

    @staticmethod
    def _f1(precision: float, recall: float) -> float:
        total = precision + recall
        return 2 * precision * recall / total if total else 0.0

    def caught(self) -> tuple[float, float, float]:
        """Precision, recall and F1 when held or marked spam counts as caught."""
        flagged = self.spam_caught + self.ham_held + self.ham_marked
        precision = self.spam_caught / flagged if flagged else 0.0
        recall = self.spam_caught / self.spam_total if self.spam_total else 0.0
        return precision, recall, self._f1(precision, recall)

    def marked_only(self) -> tuple[float, float]:
        """Precision and recall when only "marked spam" counts."""
        marked = self.spam_marked + self.ham_marked
        precision = self.spam_marked / marked if marked else 0.0
        recall = self.spam_marked / self.spam_total if self.spam_total else 0.0
        return precision, recall

    def ham_shares(self) -> tuple[float, float]:
        """Shares of legitimate comments marked spam, and held."""
        if not self.ham_total:
            return 0.0, 0.0
        return self.ham_marked / self.ham_total, self.ham_held / self.ham_total

    def meets_targets(self) -> bool:
        marked, held = self.ham_shares()
        return (
            self.caught()[2] >= F1_TARGET
            and marked < SPAM_SHARE_TARGET
            and held < HELD_SHARE_TARGET
        )


def evaluate(train: Sequence[Path], test: Path) -> Tally:
    context = JudgeContext(policy=Policy(), counts=seed.train(train))
    tally = Tally()
    started = time.perf_counter()
    for number, (author, text, is_spam) in enumerate(seed.read_labelled_csv(test)):
        submission = Submission(
            post_id=1,
            kind="comment",
            author_name=author or "Anonymous",
            author_email=f"reader{number}@example.org",
            body=text,
            ip_address=f"198.51.100.{number % 254 + 1}",
            source="form",
            ticket=f"bench-{number}",
            form_age=30.0,
            honeypot="",
        )
        outcome = spam.judge(submission, context).outcome
        if is_spam:
            tally.spam_total += 1
            tally.spam_caught += outcome != Outcome.PUBLISH
            tally.spam_marked += outcome == Outcome.SPAM
        else:
            tally.ham_total += 1
            tally.ham_held += outcome == Outcome.HOLD
            tally.ham_marked += outcome == Outcome.SPAM
    tally.seconds = time.perf_counter() - started
    return tally


def report(train: Sequence[Path], test: Path, tally: Tally) -> str:
    precision, recall, f1 = tally.caught()
    marked_precision, marked_recall = tally.marked_only()
    marked, held = tally.ham_shares()
    comments = tally.spam_total + tally.ham_total
    per_comment = 1000 * tally.seconds / comments if comments else 0.0
    return "\n".join(
        [
            f"test {test.name} ({tally.spam_total} spam, {tally.ham_total} legitimate)"
            f", trained on {', '.join(p.name for p in train)}",
            f"  caught (held or spam): precision {precision:.3f}  recall "
            f"{recall:.3f}  F1 {f1:.3f}",
            f"  legitimate marked spam {marked:.1%} "
            f"({tally.ham_marked}), held {held:.1%} ({tally.ham_held})",
            f"  marked spam only:      precision {marked_precision:.3f}  recall "
            f"{marked_recall:.3f}",
            f"  {per_comment:.2f} ms per comment; targets "
            + ("met" if tally.meets_targets() else "NOT met"),
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", nargs="+", type=Path, metavar="FILE")
    parser.add_argument("--test", nargs="+", type=Path, metavar="FILE")
    args = parser.parse_args(argv)
    if bool(args.train) != bool(args.test):
        parser.error("give both --train and --test, or neither for the rotations")
    if args.train:
        runs = [(list(args.train), test) for test in args.test]
    else:
        files = shared_spam_files()
        if len(files) < 2:
            parser.error(
                "no labelled files in shared/testdata/spam beside the repository: "
                "set FIRSTHAND_SHARED_DIR or give --train and --test"
            )
        runs = [([f for f in files if f != test], test) for test in files]
    met = True
    for train, test in runs:
        try:
            tally = evaluate(train, test)
        except (OSError, ValueError) as error:
            print(f"error: {error}", file=sys.stderr)  # noqa: T201
            return 2
        print(report(train, test, tally))  # noqa: T201
        met = met and tally.meets_targets()
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
