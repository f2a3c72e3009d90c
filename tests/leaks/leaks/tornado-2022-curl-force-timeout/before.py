# Shape of tornadoweb/tornado#2022 (commit 07983e3, "Fix CurlAsyncHTTPClient cause memory leak with
# force_instance=True"). Minimal reproduction written for this corpus.
from tornado import ioloop


class CurlAsyncHTTPClient:
    def initialize(self, max_clients=10):
        self._requests = []
        self._force_timeout_callback = ioloop.PeriodicCallback(self._handle_force_timeout, 1000)  # <- self -> callback -> bound method -> self
        self._force_timeout_callback.start()

    def close(self):
        self._force_timeout_callback.stop()

    def _handle_force_timeout(self):
        pass


def fetch_once(url):
    # force_instance=True: a new client per call
    client = CurlAsyncHTTPClient()
    client.initialize()
    return client
