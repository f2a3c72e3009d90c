# Look-alike seen in CPython's concurrent.futures.thread._WorkItem.run.
# Reproduction written for this corpus.


class WorkItem:
    def __init__(self, future, fn, args, kwargs):
        self.future = future
        self.fn = fn
        self.args = args
        self.kwargs = kwargs

    def run(self):
        if not self.future.set_running_or_notify_cancel():
            return
        try:
            result = self.fn(*self.args, **self.kwargs)
        except BaseException as exc:
            self.future.set_exception(exc)
            # break a reference cycle with the exception 'exc'
            self = None
        else:
            self.future.set_result(result)
