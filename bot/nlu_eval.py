"""`loket eval nlu FILE`: intent accuracy and macro F1 of the trained model on Rasa NLU test data."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot import rasa_server
from bot.settings import PROJECT_ROOT, Settings


@dataclass(frozen=True)
class NluReport:
    """Intent scores over a test set."""

    accuracy: float
    macro_f1: float
    n: int
    misses: list[str]

    def line(self) -> str:
        """The summary line other tools parse."""
        return f"intent_accuracy={self.accuracy:.3f} macro_f1={self.macro_f1:.3f} n={self.n}"


def load_examples(path: Path) -> list[tuple[str, str]]:
    """(text, intent) pairs from Rasa NLU YAML (entity markup is not expected in test data)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        (line.strip()[2:].strip(), block["intent"])
        for block in data.get("nlu", [])
        if "intent" in block
        for line in block["examples"].splitlines()
        if line.strip().startswith("- ")
    ]


def predict(settings: Settings, model: Path, texts: list[str]) -> list[str]:
    """The intent the model gives each text."""
    result = subprocess.run(
        [str(settings.rasa_venv / "bin" / "python"), "-m", "bot.rasa_parse", str(model)],
        input="\n".join(text.replace("\n", " ") for text in texts) + "\n",
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=rasa_server.rasa_environment(),
        check=True,
    )
    return [json.loads(line)["intent"] for line in result.stdout.splitlines() if line.startswith("{")]


def score(examples: list[tuple[str, str]], predicted: list[str]) -> NluReport:
    """Accuracy and macro-averaged F1 over the intents present in the test data."""
    truth = [intent for _, intent in examples]
    hits = Counter(t for t, p in zip(truth, predicted, strict=True) if t == p)
    predicted_count, true_count = Counter(predicted), Counter(truth)
    f1s = []
    for intent in true_count:
        precision = hits[intent] / predicted_count[intent] if predicted_count[intent] else 0.0
        recall = hits[intent] / true_count[intent]
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    misses = [
        f"MISS expected {t} got {p}: {text}"
        for (text, t), p in zip(examples, predicted, strict=True)
        if t != p
    ]
    return NluReport(sum(hits.values()) / len(truth), sum(f1s) / len(f1s), len(truth), misses)
