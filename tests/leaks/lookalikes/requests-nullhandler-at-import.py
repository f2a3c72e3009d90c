# Look-alike seen in requests/__init__.py: one NullHandler added at import.
# Reproduction written for this corpus.
import logging
from logging import NullHandler

logging.getLogger(__name__).addHandler(NullHandler())


def get(url, session_factory):
    return session_factory().get(url)
