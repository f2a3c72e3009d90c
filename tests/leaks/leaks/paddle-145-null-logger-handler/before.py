# Shape of PaddleHQ/paddle-python-sdk#144, fixed by PaddleHQ/paddle-python-sdk#145 ("Instantiate
# null logger once"). Minimal reproduction written for this corpus.
import logging


class Client:
    def __init__(self, api_key, logger=None):
        self.api_key = api_key
        self.log = logger if logger else Client.null_logger()

    @staticmethod
    def null_logger():
        null_logger = logging.getLogger("null_logger")
        null_logger.addHandler(logging.NullHandler())  # <- one more handler per Client
        return null_logger


def handle_webhook(api_key, payload):
    return Client(api_key)
