# Shape of iiasa/ixmp4#25 ("Fix potential memory leak": the lru_cache was built in the class body).
# Minimal reproduction written for this corpus; names are illustrative.
from functools import lru_cache


class ManagerConfig:
    def __init__(self, settings):
        self.settings = settings

    @lru_cache()  # <- one cache for the class, keyed by `self`
    def get_platform(self, name):
        return self.settings.load_platform(name)


def open_platforms(settings, names):
    config = ManagerConfig(settings)
    return [config.get_platform(n) for n in names]
