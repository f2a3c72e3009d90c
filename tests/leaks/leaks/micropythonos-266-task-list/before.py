# Shape of MicroPythonOS/MicroPythonOS#261, fixed by #266: TaskManager.task_list (a class attribute)
# only ever grew. Minimal reproduction written for this corpus.
import asyncio


class TaskManager:
    task_list = []  # <- process-wide, only grows

    @classmethod
    def create_task(cls, coroutine):
        task = asyncio.create_task(coroutine)
        cls.task_list.append(task)  # <- never removed
        return task
