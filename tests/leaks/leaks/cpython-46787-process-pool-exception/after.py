# Fixed shape of python/cpython#31408: the traceback is kept as text and dropped from the exception.
from traceback import format_exception


class ExceptionWithTraceback:
    def __init__(self, exc, tb):
        tb = "".join(format_exception(type(exc), exc, tb))
        self.exc = exc
        self.exc.__traceback__ = None
        self.tb = '\n"""\n%s"""' % tb


def process_worker(call_queue, result_queue):
    while True:
        call_item = call_queue.get(block=True)
        try:
            r = call_item.fn(*call_item.args)
        except BaseException as e:
            exc = ExceptionWithTraceback(e, e.__traceback__)
            result_queue.put((call_item.work_id, exc))
        else:
            result_queue.put((call_item.work_id, r))
