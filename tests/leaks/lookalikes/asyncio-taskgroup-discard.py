# Look-alike seen in CPython's asyncio.TaskGroup: a task set with discard on completion.
# Reproduction written for this corpus.


class TaskGroup:
    def __init__(self, loop):
        self._loop = loop
        self._tasks = set()

    def create_task(self, coro):
        task = self._loop.create_task(coro)
        task.add_done_callback(self._on_task_done)
        self._tasks.add(task)
        return task

    def _on_task_done(self, task):
        self._tasks.discard(task)
