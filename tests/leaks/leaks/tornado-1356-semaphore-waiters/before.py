# Shape of tornadoweb/tornado#1356 (commit 0c7c464, "Fix memory leak in Semaphore"): waiters were
# never removed from the deque. Minimal reproduction written for this corpus.
import collections
from concurrent.futures import Future


class Semaphore:
    def __init__(self, value=1):
        self._value = value
        self._waiters = collections.deque()  # <- only grows

    def release(self):
        self._value += 1
        for waiter in self._waiters:  # finds one, never removes it
            if not waiter.done():
                self._value -= 1
                waiter.set_result(None)
                break

    def acquire(self):
        waiter = Future()
        if self._value > 0:
            self._value -= 1
            waiter.set_result(None)
        else:
            self._waiters.append(waiter)  # <- one entry per blocked acquire
        return waiter


connection_slots = Semaphore(10)
