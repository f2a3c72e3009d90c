# Fixed shape of DataDog/dd-trace-py#2409: shutdown() unregisters the exit hook.
import atexit


class Tracer:
    def __init__(self, writer):
        self._writer = writer
        self._spans = []
        atexit.register(self._atexit)

    def _atexit(self):
        self.shutdown(timeout=1)

    def shutdown(self, timeout=None):
        atexit.unregister(self._atexit)
        self._writer.stop(timeout)


def make_tracer(writer_factory):
    return Tracer(writer_factory())
