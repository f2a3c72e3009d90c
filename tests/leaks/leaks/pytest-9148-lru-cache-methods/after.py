# Fixed version (one way to fix it; pytest-dev/pytest#9148 has the project's change): the cache
# lives on the instance.
class Session:
    def __init__(self, rootpath, config):
        self.rootpath = rootpath
        self.config = config
        self._relpath_cache = {}

    def relpath_for(self, node_path):
        try:
            return self._relpath_cache[node_path]
        except KeyError:
            result = self._relpath_cache[node_path] = node_path.relative_to(self.rootpath)
            return result


def run_session(rootpath, config, paths):
    session = Session(rootpath, config)
    return [session.relpath_for(p) for p in paths]
