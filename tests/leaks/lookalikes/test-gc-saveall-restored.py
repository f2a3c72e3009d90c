# Look-alike seen in CPython's test_gc: DEBUG_SAVEALL for one collection, then restored.
# Reproduction written for this corpus.
import gc


def count_saved_cycles():
    debug = gc.get_debug()
    gc.set_debug(debug | gc.DEBUG_SAVEALL)
    gc.collect()
    gc.set_debug(debug)
    n = len(gc.garbage)
    del gc.garbage[:]
    return n
