# Fixed shape of NatLabRockies/gdx-pandas#79: atexit only receives the handle.
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
        atexit.register(_free_handle, self._H)

    def cleanup(self):
        _free_handle(self._H)


def read_all(paths):
    return [GdxFile(p) for p in paths]
