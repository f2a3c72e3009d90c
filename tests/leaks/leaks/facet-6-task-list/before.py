# Shape of pohmelie/facet#6 ("Utilize unused memory": tasks were kept in a list forever).
# Minimal reproduction written for this corpus.
import asyncio


class ServiceMixin:
    def __init__(self):
        self.__tasks = []  # <- only grows

    def add_task(self, coro):
        task = asyncio.ensure_future(coro)
        self.__tasks.append(task)  # <- finished tasks are never removed
        task.add_done_callback(self.__task_callback)
        return task

    def __task_callback(self, task):
        if not task.cancelled() and task.exception():
            raise task.exception()
