# Look-alike seen in CPython's re module: a module-level dict cache with a size bound.
# Reproduction written for this corpus.
_cache = {}
_MAXCACHE = 512


def compile_pattern(pattern, flags, compiler):
    try:
        return _cache[type(pattern), pattern, flags]
    except KeyError:
        pass
    p = compiler(pattern, flags)
    if len(_cache) >= _MAXCACHE:
        try:
            del _cache[next(iter(_cache))]
        except (StopIteration, RuntimeError, KeyError):
            pass
    _cache[type(pattern), pattern, flags] = p
    return p
