# Fixed shape of MicroPythonOS/MicroPythonOS#266: finished tasks leave the list.
import asyncio


class TaskManager:
    task_list = []

    @classmethod
    def create_task(cls, coroutine):
        async def _run():
            try:
                return await coroutine
            finally:
                cls.task_list.remove(task)

        task = asyncio.create_task(_run())
        cls.task_list.append(task)
        return task
