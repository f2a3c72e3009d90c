# Fixed shape of malariagen/malariagen-data-python#949: old handlers are removed and closed first.
import logging


class LoggingHelper:
    def __init__(self, name, out, debug=False):
        logger = logging.getLogger(name)
        for existing_handler in logger.handlers[:]:
            logger.removeHandler(existing_handler)
            existing_handler.close()
        if isinstance(out, str):
            handler = logging.FileHandler(out)
        else:
            handler = logging.StreamHandler(out)
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG if debug else logging.INFO)
        self._logger = logger


class Resource:
    def __init__(self, log):
        self._log = LoggingHelper(__name__, log)
