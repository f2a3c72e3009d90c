# Look-alike seen in CPython's concurrent.futures.thread (_WorkItem.run): the caught exception goes to the
# future, whose job is to report it, and the frame drops its reference to the work item.
# Reproduction written for this corpus.


class Job:
    def __init__(self, future, func, *args):
        self.future = future
        self.func = func
        self.args = args

    def execute(self):
        if not self.future.set_running_or_notify_cancel():
            return
        try:
            value = self.func(*self.args)
        except BaseException as error:
            self.future.set_exception(error)
            self = None  # the traceback's frame no longer reaches the job
        else:
            self.future.set_result(value)
