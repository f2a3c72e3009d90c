# Fixed shape of celery/celery#10280: the buffer keeps the event, not the exception.
from collections import deque


class EventDispatcher:
    def __init__(self, producer, buffer_while_offline=True):
        self.producer = producer
        self.buffer_while_offline = buffer_while_offline
        self._outbound_buffer = deque()

    def _publish(self, event, routing_key):
        try:
            self.producer.publish(event, routing_key=routing_key)
        except Exception:
            if not self.buffer_while_offline:
                raise
            self._outbound_buffer.append((event, routing_key))

    def flush(self):
        while self._outbound_buffer:
            event, routing_key = self._outbound_buffer.popleft()
            self._publish(event, routing_key)
