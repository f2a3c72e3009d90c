# Shape of bpo-46787, fixed by python/cpython#31408 ("Fix ProcessPoolExecutor exception memory
# leak"). Minimal reproduction written for this corpus.
from traceback import format_exception


class ExceptionWithTraceback:
    def __init__(self, exc, tb):
        tb = "".join(format_exception(type(exc), exc, tb))
        self.exc = exc  # <- keeps exc.__traceback__ and every frame in it
        self.tb = '\n"""\n%s"""' % tb


def process_worker(call_queue, result_queue):
    while True:
        call_item = call_queue.get(block=True)
        try:
            r = call_item.fn(*call_item.args)
        except BaseException as e:
            exc = ExceptionWithTraceback(e, e.__traceback__)  # <- one per failed job
            result_queue.put((call_item.work_id, exc))
        else:
            result_queue.put((call_item.work_id, r))
