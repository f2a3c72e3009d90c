# Shape of koordinates/kart#907 ("Don't use lru_cache for method memoization").
# Minimal reproduction written for this corpus; names are illustrative.
from functools import lru_cache


class Dataset:
    def __init__(self, tree, path):
        self.tree = tree
        self.path = path

    @property
    @lru_cache(maxsize=1)  # <- class-wide cache keyed by `self`
    def schema(self):
        return self.tree.read_json(self.path + "/schema.json")


def diff_datasets(tree, paths):
    return [Dataset(tree, p).schema for p in paths]
