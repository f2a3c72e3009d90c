# Look-alike seen in CPython's asyncio.TaskGroup (create_task / _on_task_done): tasks kept in a set
# that each task leaves when it finishes. Reproduction written for this corpus.


class Group:
    def __init__(self, loop):
        self._loop = loop
        self._running = set()

    def spawn(self, coro):
        task = self._loop.create_task(coro)
        self._running.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task):
        self._running.discard(task)
