# Look-alike seen in CPython's re module (_compile with _MAXCACHE): a module-level memo that evicts
# its oldest entry when full. Reproduction written for this corpus.
_compiled = {}
_LIMIT = 512


def compiled(source, options, build):
    key = (type(source), source, options)
    found = _compiled.get(key)
    if found is not None:
        return found
    result = build(source, options)
    if len(_compiled) >= _LIMIT:
        oldest = next(iter(_compiled), None)
        if oldest is not None:
            _compiled.pop(oldest, None)
    _compiled[key] = result
    return result
