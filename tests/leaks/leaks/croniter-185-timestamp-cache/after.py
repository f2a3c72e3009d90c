# Fixed shape of pallets-eco/croniter#185: no cache.
import datetime


def timestamp_to_datetime(timestamp, tzinfo=None):
    return datetime.datetime.fromtimestamp(timestamp, tz=tzinfo)
