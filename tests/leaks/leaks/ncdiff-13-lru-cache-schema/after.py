# Fixed version (one way to fix it; CiscoTestAutomation/ncdiff#13 has the project's change): no
# method-level lru_cache.
class ModelDiff:
    def __init__(self, schema_tree, config):
        self.schema_tree = schema_tree
        self.config = config
        self._nodes = {}

    def get_schema_node(self, path):
        node = self._nodes.get(path)
        if node is None:
            node = self._nodes[path] = self.schema_tree.find(path)
        return node


def diff(schema_tree, config, paths):
    d = ModelDiff(schema_tree, config)
    return [d.get_schema_node(p) for p in paths]
