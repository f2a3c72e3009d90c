# Fixed shape of tornadoweb/tornado commit 0c7c464: release() pops the waiters it looks at.
import collections
from concurrent.futures import Future


class Semaphore:
    def __init__(self, value=1):
        self._value = value
        self._waiters = collections.deque()

    def release(self):
        self._value += 1
        while self._waiters:
            waiter = self._waiters.popleft()
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
            self._waiters.append(waiter)
        return waiter


connection_slots = Semaphore(10)
