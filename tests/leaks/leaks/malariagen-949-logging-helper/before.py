# Shape of malariagen/malariagen-data-python#949 ("prevent logging handler accumulation in
# LoggingHelper"). Minimal reproduction written for this corpus.
import logging


class LoggingHelper:
    def __init__(self, name, out, debug=False):
        logger = logging.getLogger(name)
        if isinstance(out, str):
            handler = logging.FileHandler(out)
        else:
            handler = logging.StreamHandler(out)
        logger.addHandler(handler)  # <- accumulates on the process-wide logger
        logger.setLevel(logging.DEBUG if debug else logging.INFO)
        self._logger = logger


class Resource:
    def __init__(self, log):
        self._log = LoggingHelper(__name__, log)
