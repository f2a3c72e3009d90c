# Fixed shape of iiasa/ixmp4#25: the cache is constructed in __init__, one per instance.
from functools import lru_cache


class ManagerConfig:
    def __init__(self, settings):
        self.settings = settings
        self.get_platform = lru_cache()(self._get_platform)

    def _get_platform(self, name):
        return self.settings.load_platform(name)


def open_platforms(settings, names):
    config = ManagerConfig(settings)
    return [config.get_platform(n) for n in names]
