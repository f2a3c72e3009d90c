# Shape of dknowles2/pytboss#510, fixed by dknowles2/pytboss#518 ("stop it leaking futures").
# Minimal reproduction written for this corpus.
import asyncio
import itertools


class Transport:
    def __init__(self, loop):
        self._loop = loop
        self._ids = itertools.count()
        self._rpc_futures = {}  # <- one entry per command

    async def send_command(self, cmd, timeout=None):
        msg_id = next(self._ids)
        future = self._loop.create_future()
        self._rpc_futures[msg_id] = future  # <- removed only when a reply arrives
        async with asyncio.timeout(timeout):
            await self._send_prepared_command(msg_id, cmd)
            return await future

    def _on_command_response(self, msg_id, payload):
        future = self._rpc_futures.pop(msg_id, None)
        if future is not None and not future.done():
            future.set_result(payload)

    async def _send_prepared_command(self, msg_id, cmd):
        pass
