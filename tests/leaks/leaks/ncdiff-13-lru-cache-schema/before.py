# Shape of CiscoTestAutomation/ncdiff#13 ("Remove memory leak introduced in #2": lru_cache on
# methods locks `self` in memory). Minimal reproduction written for this corpus; names are illustrative.
import functools


class ModelDiff:
    def __init__(self, schema_tree, config):
        self.schema_tree = schema_tree
        self.config = config

    @functools.lru_cache(maxsize=4096)  # <- entries keep `self` and its schema tree
    def get_schema_node(self, path):
        return self.schema_tree.find(path)


def diff(schema_tree, config, paths):
    d = ModelDiff(schema_tree, config)  # one per device / diff
    return [d.get_schema_node(p) for p in paths]
