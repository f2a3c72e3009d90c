# Look-alike seen in CPython's unittest.signals (installHandler): one SIGINT handler, installed once
# and replacing whatever was there. Reproduction written for this corpus.
import signal

_installed = None


class Interrupt:
    def __init__(self, previous):
        self.previous = previous

    def __call__(self, signum, frame):
        if callable(self.previous):
            self.previous(signum, frame)


def install():
    global _installed
    if _installed is not None:
        return
    _installed = Interrupt(signal.getsignal(signal.SIGINT))
    signal.signal(signal.SIGINT, _installed)
