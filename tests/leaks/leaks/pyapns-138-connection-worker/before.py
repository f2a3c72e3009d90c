# Shape of djacobs/PyAPNs#137, fixed by djacobs/PyAPNs#138 (remove __del__ from APNsConnection).
# Minimal reproduction written for this corpus.
import threading


class ErrorResponseHandlerWorker(threading.Thread):
    def __init__(self, apns_connection):
        threading.Thread.__init__(self)
        self.apns_connection = apns_connection  # <- worker -> connection


class APNsConnection:  # <- class with __del__ in a cycle
    def __init__(self, enhanced=False):
        self._socket = None
        self.enhanced = enhanced
        if enhanced:
            self._error_response_handler_worker = ErrorResponseHandlerWorker(self)  # <- connection -> worker -> connection

    def _disconnect(self):
        self._socket = None

    def __del__(self):
        self._disconnect()


def send_batch(payloads):
    conn = APNsConnection(enhanced=True)
    return conn
