# Fixed shape of skyportal/skyportal#6706: the thread's session is removed after each unit of work.
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.orm import scoped_session, sessionmaker

DBSession = scoped_session(sessionmaker())
_executor = ThreadPoolExecutor(max_workers=8)


def _process(source_id):
    try:
        session = DBSession()
        source = session.get("Source", source_id)
        session.commit()
        return source
    finally:
        DBSession.remove()


def run_async(source_ids):
    return [_executor.submit(_process, s) for s in source_ids]
