# Fixed shape of djacobs/PyAPNs#138: APNsConnection no longer defines __del__.
import threading


class ErrorResponseHandlerWorker(threading.Thread):
    def __init__(self, apns_connection):
        threading.Thread.__init__(self)
        self.apns_connection = apns_connection


class APNsConnection:
    def __init__(self, enhanced=False):
        self._socket = None
        self.enhanced = enhanced
        if enhanced:
            self._error_response_handler_worker = ErrorResponseHandlerWorker(self)

    def _disconnect(self):
        self._socket = None


def send_batch(payloads):
    conn = APNsConnection(enhanced=True)
    return conn
