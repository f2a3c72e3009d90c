# Shape of pallets-eco/croniter#182, fixed by #185 ("Fix memory leak by removing
# TIMESTAMP_TO_DT_CACHE"). Minimal reproduction written for this corpus.
import datetime

TIMESTAMP_TO_DT_CACHE = {}  # <- module-level, only grows


def timestamp_to_datetime(timestamp, tzinfo=None):
    key = (timestamp, repr(tzinfo))
    try:
        return TIMESTAMP_TO_DT_CACHE[key]
    except KeyError:
        pass
    result = datetime.datetime.fromtimestamp(timestamp, tz=tzinfo)
    TIMESTAMP_TO_DT_CACHE[key] = result  # <- one entry per distinct timestamp
    return result
