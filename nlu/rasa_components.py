"""Rasa components from nlu/ (imported only inside the Rasa environment)."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

from nlu.normalize import tokenize


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class NormalizingTokenizer(WhitespaceTokenizer):
    """Normalises informal Indonesian (slang, stretched letters, reduplication) while tokenising.

    Every later featurizer sees standard words ("gmn bkin ktp" -> "bagaimana buat ktp"), while each
    token keeps the span of the original text it came from.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**WhitespaceTokenizer.get_default_config()}

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute)
        tokens = [Token(token.text, token.start, token.end) for token in tokenize(text)]
        if not tokens and text:
            # Like WhitespaceTokenizer: a message of only symbols ("???") is one token, never none.
            tokens = [Token(text, 0, len(text))]
        return self._apply_token_pattern(tokens)
