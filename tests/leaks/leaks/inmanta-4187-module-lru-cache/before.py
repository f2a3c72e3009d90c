# Shape of inmanta/inmanta-core#3076, fixed by inmanta/inmanta-core#4187 (a dictionary cache on
# each instance instead of lru_cache). Minimal reproduction written for this corpus.
from functools import lru_cache


class Module:
    def __init__(self, project, path):
        self._project = project
        self.path = path

    @lru_cache()  # <- keys hold `self`
    def get_plugin_files(self, subdir):
        return sorted(self._project.list_files(self.path, subdir))


def load_modules(project, paths):
    return [Module(project, p).get_plugin_files("plugins") for p in paths]
