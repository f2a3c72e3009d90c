"""Debug switches someone left on."""
import gc


def enable_leak_hunting():
    # Leak: every object the collector finds unreachable is kept in gc.garbage (RH601).
    gc.set_debug(gc.DEBUG_SAVEALL)


def collect_stats():
    # Fine: DEBUG_STATS only prints.
    gc.set_debug(gc.DEBUG_STATS)
