# Shape of skyportal/skyportal#6706 ("Fix scoped session leak": release the scoped session after each
# unit of background work). Minimal reproduction written for this corpus.
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.orm import scoped_session, sessionmaker

DBSession = scoped_session(sessionmaker())  # <- one session per thread, kept in a thread-local registry
_executor = ThreadPoolExecutor(max_workers=8)


def _process(source_id):
    session = DBSession()  # <- bound to this pool thread; never removed
    source = session.get("Source", source_id)
    session.commit()
    return source


def run_async(source_ids):
    return [_executor.submit(_process, s) for s in source_ids]
