# Fixed shape of prompt-toolkit/python-prompt-toolkit commit 7776bf9: each filter keeps its own weak
# cache of combinations.
import weakref


class Filter:
    def __init__(self):
        self._and_cache = weakref.WeakValueDictionary()

    def __and__(self, other):
        if other in self._and_cache:
            return self._and_cache[other]
        result = _AndList([self, other])
        self._and_cache[other] = result
        return result


class _AndList(Filter):
    def __init__(self, filters):
        super().__init__()
        self.filters = list(filters)

    def __call__(self):
        return all(f() for f in self.filters)


class Condition(Filter):
    def __init__(self, func):
        super().__init__()
        self.func = func

    def __call__(self):
        return self.func()


def session_filters(session):
    return Condition(lambda: session.is_done) & Condition(lambda: session.multiline)
