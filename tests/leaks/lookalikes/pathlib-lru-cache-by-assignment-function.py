# Look-alike seen in CPython 3.11's pathlib: lru_cache by assignment on a module function.
# Reproduction written for this corpus.
import functools


def _make_selector(pattern_parts, flavour):
    return (tuple(pattern_parts), flavour)


_make_selector = functools.lru_cache()(_make_selector)
