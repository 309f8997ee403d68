"""Indonesian text processing shared by Rasa and retrieval; pure Python, importable from both environments."""
