# Look-alike seen in Werkzeug's LocalManager.make_middleware: locals released after each request.
# Reproduction written for this corpus.
import threading

_request_state = threading.local()


class ClosingIterator:
    def __init__(self, iterable, callback):
        self._iterable = iter(iterable)
        self._callback = callback

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._iterable)

    def close(self):
        self._callback()


def cleanup():
    _request_state.__dict__.clear()


def make_middleware(app):
    def application(environ, start_response):
        _request_state.environ = environ
        return ClosingIterator(app(environ, start_response), cleanup)

    return application
