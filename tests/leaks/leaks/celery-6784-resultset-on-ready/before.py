# Shape of celery/celery#4843, fixed by celery/celery#6784: ResultSet.on_ready was a promise
# around a bound method of the result set itself. Minimal reproduction written for this corpus.
from vine import promise


class ResultSet:
    def __init__(self, results, app=None):
        self.results = results
        self.app = app
        self.on_ready = promise(self._on_ready)  # <- self -> promise -> bound method -> self

    def _on_ready(self):
        if all(r.ready() for r in self.results):
            self.on_ready()


def collect_group(results):
    # one ResultSet per group call
    return ResultSet(list(results))
