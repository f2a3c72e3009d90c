# Fixed shape of koordinates/kart#907: cached_property shares the instance's lifetime.
from functools import cached_property


class Dataset:
    def __init__(self, tree, path):
        self.tree = tree
        self.path = path

    @cached_property
    def schema(self):
        return self.tree.read_json(self.path + "/schema.json")


def diff_datasets(tree, paths):
    return [Dataset(tree, p).schema for p in paths]
