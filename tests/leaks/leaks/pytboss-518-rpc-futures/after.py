# Fixed shape of dknowles2/pytboss#518: the future is popped in a finally, whatever happens.
import asyncio
import itertools


class Transport:
    def __init__(self, loop):
        self._loop = loop
        self._ids = itertools.count()
        self._rpc_futures = {}

    async def send_command(self, cmd, timeout=30):
        msg_id = next(self._ids)
        future = self._loop.create_future()
        self._rpc_futures[msg_id] = future
        try:
            async with asyncio.timeout(timeout):
                await self._send_prepared_command(msg_id, cmd)
                return await future
        finally:
            self._rpc_futures.pop(msg_id, None)

    def _on_command_response(self, msg_id, payload):
        future = self._rpc_futures.pop(msg_id, None)
        if future is not None and not future.done():
            future.set_result(payload)

    async def _send_prepared_command(self, msg_id, cmd):
        pass
