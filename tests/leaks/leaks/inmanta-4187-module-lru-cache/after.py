# Fixed shape of inmanta/inmanta-core#4187: a dictionary on the instance.
class Module:
    def __init__(self, project, path):
        self._project = project
        self.path = path
        self._plugin_files_cache = {}

    def get_plugin_files(self, subdir):
        if subdir not in self._plugin_files_cache:
            self._plugin_files_cache[subdir] = sorted(self._project.list_files(self.path, subdir))
        return self._plugin_files_cache[subdir]


def load_modules(project, paths):
    return [Module(project, p).get_plugin_files("plugins") for p in paths]
