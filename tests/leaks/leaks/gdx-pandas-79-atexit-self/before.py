# Shape of NatLabRockies/gdx-pandas#79 ("Prevent memory leak"): atexit held `self` through a bound
# method. Minimal reproduction written for this corpus.
import atexit


def _create_handle():
    return object()


def _free_handle(handle):
    pass


class GdxFile:
    def __init__(self, path):
        self.path = path
        self._H = _create_handle()
        self.symbols = []
        atexit.register(self.cleanup)  # <- atexit keeps this object until exit

    def cleanup(self):
        _free_handle(self._H)


def read_all(paths):
    return [GdxFile(p) for p in paths]
