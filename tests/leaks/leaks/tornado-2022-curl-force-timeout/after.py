# Fixed shape of tornadoweb/tornado commit 07983e3: close() drops the attributes holding bound methods.
from tornado import ioloop


class CurlAsyncHTTPClient:
    def initialize(self, max_clients=10):
        self._requests = []
        self._force_timeout_callback = ioloop.PeriodicCallback(self._handle_force_timeout, 1000)
        self._force_timeout_callback.start()

    def close(self):
        self._force_timeout_callback.stop()
        self._force_timeout_callback = None

    def _handle_force_timeout(self):
        pass


def fetch_once(url):
    client = CurlAsyncHTTPClient()
    client.initialize()
    return client
