# Shape of celery/celery#10273, fixed by celery/celery#10280 ("stop leaking exceptions"): failed
# publishes were buffered with their exception. Minimal reproduction written for this corpus.
from collections import deque


class EventDispatcher:
    def __init__(self, producer, buffer_while_offline=True):
        self.producer = producer
        self.buffer_while_offline = buffer_while_offline
        self._outbound_buffer = deque()

    def _publish(self, event, routing_key):
        try:
            self.producer.publish(event, routing_key=routing_key)
        except Exception as exc:
            if not self.buffer_while_offline:
                raise
            self._outbound_buffer.append((event, routing_key, exc))  # <- exception kept on the dispatcher

    def flush(self):
        while self._outbound_buffer:
            event, routing_key, _ = self._outbound_buffer.popleft()
            self._publish(event, routing_key)
