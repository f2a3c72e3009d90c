# Shape of the AsyncResult leak analysed in celery/celery#4839 and fixed by celery/celery#5332
# (weak references for bound-method promises). Minimal reproduction written for this corpus.
from vine import promise


class AsyncResult:  # <- class with __del__ in a cycle
    def __init__(self, id, backend):
        self.id = id
        self.backend = backend
        self.on_ready = promise(self._on_fulfilled)  # <- self -> promise -> bound method -> self

    def _on_fulfilled(self, result):
        self.backend.remove_pending_result(self)
        return result

    def __del__(self):
        backend = self.backend
        if backend is not None:
            backend.remove_pending_result(self)


def delay(task_id, backend):
    # one AsyncResult per task sent
    return AsyncResult(task_id, backend)
