"""The assistant: Rasa domain and rules, and the app shell (settings, CLI, ASGI app, workers)."""
