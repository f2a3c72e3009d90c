# Fixed shape of PaddleHQ/paddle-python-sdk#145: the handler is added only once.
import logging


class Client:
    def __init__(self, api_key, logger=None):
        self.api_key = api_key
        self.log = logger if logger else Client.null_logger()

    @staticmethod
    def null_logger():
        null_logger = logging.getLogger("null_logger")
        if not null_logger.hasHandlers():
            null_logger.addHandler(logging.NullHandler())
        return null_logger


def handle_webhook(api_key, payload):
    return Client(api_key)
