# Shape of python-injector/flask_injector#9, fixed by #11 ("Bug fix of GreenThread memory leak"):
# the local was cleaned up, then written again. Minimal reproduction written for this corpus.
from werkzeug.local import Local, LocalManager


class RequestScope:
    def __init__(self):
        self._locals = Local()
        self._local_manager = LocalManager([self._locals])
        self._locals.scope = {}

    def reset(self):
        # called at the end of every request
        self._local_manager.cleanup()
        self._locals.scope = {}  # <- re-creates this worker's storage right after cleanup

    def get(self, key, provider):
        if key not in self._locals.scope:
            self._locals.scope[key] = provider()
        return self._locals.scope[key]
