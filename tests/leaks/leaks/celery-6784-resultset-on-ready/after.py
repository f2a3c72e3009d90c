# Fixed shape of celery/celery#6784: the promise holds only a weak proxy to the result set.
import weakref

from vine import promise


def _fire_when_ready(result_set):
    if all(r.ready() for r in result_set.results):
        result_set.on_ready()


class ResultSet:
    def __init__(self, results, app=None):
        self.results = results
        self.app = app
        self.on_ready = promise(args=(weakref.proxy(self),))

    def _on_ready(self):
        _fire_when_ready(self)


def collect_group(results):
    return ResultSet(list(results))
