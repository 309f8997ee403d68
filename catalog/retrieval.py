"""Deciding what to do with a question: answer one service, offer a few, or say none fits.

The decision uses an *answerability* score: the fused score of the best service, plus how much
closer the question is to that service than to anything off-topic (dense similarity to the best
service row minus dense similarity to the closest phrase of the off-topic banks: Rasa's
out_of_scope examples, catalog/not_covered.yml, local_programs.yml and off_topic.yml), minus a little
for each of the question's terms the best service's text never uses (a question about a work-accident
claim matched to the old-age savings entry names things that entry does not), minus a little more for
a long message (a long story shares words with many entries by chance).
It is mapped to a calibrated probability that the best service is the right answer. The constants
were fitted on the development sets (tests/data/retrieval_dev.yml, retrieval_real_dev.yml) with
bench/fit_retrieval.py and checked on the held-out
set (docs/performance.md); the held-out set was never used to choose them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from catalog.encoders import Encoder
from catalog.index import Candidate, CatalogIndex, Method
from nlu.framing import strip_courtesy
from nlu.normalize import normalize

Decision = Literal["answer", "choose", "abstain"]


@dataclass(frozen=True)
class Policy:
    """Thresholds of the decision, on the answerability scale."""

    answer_at: float = 0.61  # below: nothing fits well enough to say
    # A long story shares words with many entries by chance: it must score this much higher at
    # length_cap words (and in proportion below), fitted on the real-style development set.
    length_weight: float = 0.21
    length_cap: int = 60
    choose_margin: float = 0.02  # a runner-up this close makes it a choice between the two or three
    choice_window: float = 0.04  # offer the services within this distance of the best one
    oos_weight: float = 2.0  # how much being nearer to an off-topic phrase than to an entry counts
    foreign_weight: float = 0.05  # how much the share of terms the best entry never uses counts
    # A question whose words match one service far better than any other needs no embedding.
    lexical_sure: float = 0.5
    lexical_sure_margin: float = 0.1
    # Logistic calibration of answerability into P(best service is right), fitted on the dev set.
    calibration_slope: float = 20.5
    calibration_midpoint: float = 0.628


@dataclass(frozen=True)
class Retrieval:
    """The outcome for one question."""

    decision: Decision
    candidates: list[Candidate]
    answerability: float
    confidence: float
    shortcut: bool = False
    offered: list[str] = field(default_factory=list)

    @property
    def best(self) -> str | None:
        """The service to answer with, when the decision is to answer."""
        return self.candidates[0].service_id if self.decision == "answer" else None

    @property
    def ranked_ids(self) -> list[str]:
        """Services in the order the citizen is shown them (empty when abstaining)."""
        if self.decision == "abstain":
            return []
        if self.decision == "choose":
            return self.offered
        return [candidate.service_id for candidate in self.candidates[:3]]


class Retriever:
    """Scores a question against the index and decides."""

    def __init__(
        self,
        index: CatalogIndex,
        off_topic_examples: list[str],
        policy: Policy = Policy(),
        row_encoder: Encoder | None = None,
    ) -> None:
        """``off_topic_examples``: what a catalog question is not; ``row_encoder`` may cache their vectors."""
        self.index = index
        self.policy = policy
        self._off_topic = (row_encoder or index.encoder).encode(
            [normalize(text) for text in off_topic_examples]
        )

    def retrieve(self, question: str, method: Method = "hybrid") -> Retrieval:
        """Decide what to answer for ``question``; a long one must be surer (``Policy.length_weight``)."""
        policy = self.policy
        if method == "hybrid":
            lexical = self.index.score(question, "bm25")
            if _sure(lexical, policy):
                return Retrieval("answer", lexical, 1.0, self._calibrated(1.0), shortcut=True)
        gist = dense_gist(question)
        candidates = self.index.score(question, method, dense_part=gist)
        if not candidates:
            return Retrieval("abstain", [], 0.0, 0.0)
        answerability = candidates[0].score
        if method != "bm25":
            off_topic = self._off_topic_similarity(gist)
            answerability += policy.oos_weight * (candidates[0].dense - off_topic)
        if method == "hybrid":
            answerability -= policy.foreign_weight * self.index.foreign_share(
                question, candidates[0].service_id
            )
        words = min(len(question.split()), policy.length_cap)
        answerability -= policy.length_weight * words / policy.length_cap
        confidence = self._calibrated(answerability)
        if answerability < policy.answer_at:
            return Retrieval("abstain", candidates, answerability, confidence)
        runner_up = candidates[1].score if len(candidates) > 1 else -math.inf
        if candidates[0].score - runner_up < policy.choose_margin:
            offered = [
                c.service_id for c in candidates[:3] if candidates[0].score - c.score <= policy.choice_window
            ]
            return Retrieval("choose", candidates, answerability, confidence, offered=offered)
        return Retrieval("answer", candidates, answerability, confidence)

    def _calibrated(self, answerability: float) -> float:
        z = self.policy.calibration_slope * (answerability - self.policy.calibration_midpoint)
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    def _off_topic_similarity(self, question: str) -> float:
        if not len(self._off_topic):
            return 0.0
        vector = self.index.query_vector(question)
        return float(np.max(self._off_topic @ vector))


# Embedding costs about 0.6 ms a token, so a long message is embedded by its first words after the
# greeting (where citizens say what they need) and matched lexically in full (docs/performance.md).
GIST_WORDS = 20


def dense_gist(question: str) -> str:
    """The part of a question that is embedded: all of a short one, the first words of a long one."""
    words = question.split()
    if len(words) <= GIST_WORDS:
        return question
    return " ".join((strip_courtesy(question) or question).split()[:GIST_WORDS])


def _sure(lexical: list[Candidate], policy: Policy) -> bool:
    if len(lexical) < 2:
        return bool(lexical) and lexical[0].score >= policy.lexical_sure
    top, second = lexical[0].score, lexical[1].score
    return top >= policy.lexical_sure and top - second >= policy.lexical_sure_margin
