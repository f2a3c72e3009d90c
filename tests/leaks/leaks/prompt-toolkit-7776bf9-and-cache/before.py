# Shape of prompt-toolkit/python-prompt-toolkit commit 7776bf9 ("Fix memoryleak in filters"): a global
# cache keyed by filter objects. Minimal reproduction written for this corpus.


class Filter:
    def __and__(self, other):
        return _and_cache[self, other]  # <- key: two objects hashed by identity


class _AndList(Filter):
    def __init__(self, filters):
        self.filters = list(filters)

    def __call__(self):
        return all(f() for f in self.filters)


class _AndCache(dict):
    def __missing__(self, filters):
        result = _AndList(filters)
        self[filters] = result
        return result


_and_cache = _AndCache()  # <- process-wide, one entry per pair of filter objects ever combined


class Condition(Filter):
    def __init__(self, func):
        self.func = func

    def __call__(self):
        return self.func()


def session_filters(session):
    # called for every PromptSession
    return Condition(lambda: session.is_done) & Condition(lambda: session.multiline)
