# Fixed shape of celery/celery#5332: the promise refers to the bound method weakly.
from vine import promise


class AsyncResult:
    def __init__(self, id, backend):
        self.id = id
        self.backend = backend
        self.on_ready = promise(self._on_fulfilled, weak=True)

    def _on_fulfilled(self, result):
        self.backend.remove_pending_result(self)
        return result

    def __del__(self):
        backend = self.backend
        if backend is not None:
            backend.remove_pending_result(self)


def delay(task_id, backend):
    return AsyncResult(task_id, backend)
