# Shape of pytest-dev/pytest#9148 ("Avoid @lru_cache on methods"). Minimal reproduction written for
# this corpus; names are illustrative.
from functools import lru_cache


class Session:
    def __init__(self, rootpath, config):
        self.rootpath = rootpath
        self.config = config

    @lru_cache(maxsize=None)  # <- cache keys hold `self`
    def relpath_for(self, node_path):
        return node_path.relative_to(self.rootpath)


def run_session(rootpath, config, paths):
    session = Session(rootpath, config)
    return [session.relpath_for(p) for p in paths]
