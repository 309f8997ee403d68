"""The unified service catalog: content, storage, hybrid retrieval and answers."""
