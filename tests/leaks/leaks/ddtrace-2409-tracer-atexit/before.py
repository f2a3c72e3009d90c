# Shape of DataDog/dd-trace-py#2409 ("add atexit internal wrapper with unregister": the Tracer never
# unregistered its shutdown function). Minimal reproduction written for this corpus.
import atexit


class Tracer:
    def __init__(self, writer):
        self._writer = writer
        self._spans = []
        atexit.register(self._atexit)  # <- never unregistered

    def _atexit(self):
        self.shutdown(timeout=1)

    def shutdown(self, timeout=None):
        self._writer.stop(timeout)


def make_tracer(writer_factory):
    return Tracer(writer_factory())
