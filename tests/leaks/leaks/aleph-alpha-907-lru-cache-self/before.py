# Shape of Aleph-Alpha/intelligence-layer-sdk#907 ("fix: lru_cache memory leak").
# Minimal reproduction written for this corpus; names are illustrative.
from functools import lru_cache


class Tokenizer:
    def __init__(self, client, model):
        self.client = client
        self.model = model

    @lru_cache(maxsize=128)  # <- keyed by `self`
    def tokenize(self, text):
        return self.client.tokenize(self.model, text)


def count_tokens(client, model, texts):
    tok = Tokenizer(client, model)
    return sum(len(tok.tokenize(t)) for t in texts)
