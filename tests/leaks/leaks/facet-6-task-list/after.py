# Fixed shape of pohmelie/facet#6: a set, discarded when each task finishes.
import asyncio


class ServiceMixin:
    def __init__(self):
        self.__tasks = set()

    def add_task(self, coro):
        task = asyncio.ensure_future(coro)
        self.__tasks.add(task)
        task.add_done_callback(self.__task_callback)
        return task

    def __task_callback(self, task):
        self.__tasks.discard(task)
        if not task.cancelled() and task.exception():
            raise task.exception()
