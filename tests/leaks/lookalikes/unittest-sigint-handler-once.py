# Look-alike seen in CPython's unittest.signals: a SIGINT handler installed once.
# Reproduction written for this corpus.
import signal


class _InterruptHandler:
    def __init__(self, default_handler):
        self.default_handler = default_handler

    def __call__(self, signum, frame):
        self.default_handler(signum, frame)


_interrupt_handler = None


def install_handler():
    global _interrupt_handler
    if _interrupt_handler is None:
        default_handler = signal.getsignal(signal.SIGINT)
        _interrupt_handler = _InterruptHandler(default_handler)
        signal.signal(signal.SIGINT, _interrupt_handler)
