# Fixed version (one way to fix it; Aleph-Alpha/intelligence-layer-sdk#907 has the project's change):
# the cache belongs to the instance.
from functools import lru_cache


class Tokenizer:
    def __init__(self, client, model):
        self.client = client
        self.model = model
        self._tokenize = lru_cache(maxsize=128)(self._tokenize_uncached)

    def _tokenize_uncached(self, text):
        return self.client.tokenize(self.model, text)

    def tokenize(self, text):
        return self._tokenize(text)


def count_tokens(client, model, texts):
    tok = Tokenizer(client, model)
    return sum(len(tok.tokenize(t)) for t in texts)
