"""Parse texts with a trained Rasa model (runs in the Rasa environment, Python 3.10).

Reads one text per line on stdin, writes one JSON object per line on stdout:
{"text": ..., "intent": ..., "confidence": ..., "ms": ...}, plus "response_selector" with --full.
Used by `loket eval nlu` and bench/retrieval_methods.py.

    .venv-rasa/bin/python -m bot.rasa_parse MODEL.tar.gz [--full] < texts.txt
"""

import asyncio
import json
import logging
import sys
import time


async def _parse(model: str, full: bool) -> None:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    for line in sys.stdin:
        text = line.rstrip("\n")
        started = time.perf_counter()
        result = await agent.parse_message(text)
        elapsed = (time.perf_counter() - started) * 1000
        intent = result.get("intent") or {}
        row = {
            "text": text,
            "intent": intent.get("name"),
            "confidence": intent.get("confidence"),
            "ms": elapsed,
        }
        if full:
            row["response_selector"] = result.get("response_selector")
        print(json.dumps(row))


if __name__ == "__main__":
    logging.disable(logging.WARNING)
    asyncio.run(_parse(sys.argv[1], "--full" in sys.argv[2:]))
