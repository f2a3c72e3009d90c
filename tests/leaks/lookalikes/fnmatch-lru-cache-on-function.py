# Look-alike seen in CPython's fnmatch: lru_cache on a plain function, bounded.
# Reproduction written for this corpus.
import functools
import re


@functools.lru_cache(maxsize=32768, typed=True)
def compile_glob(pat):
    return re.compile(pat.replace("*", ".*")).match
