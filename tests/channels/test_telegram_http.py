"""The HTTP client under python-telegram-bot: its pool asks each connection "closed by the
server?" through our stream (no anyio attribute lookups), and still gets the right answer."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpcore
import pytest

from bot.channels.telegram.http import FastPoolRequest, _Backend, _readable, _Stream

HANG = 10  # seconds: far more than any of these tests needs
BODY = b'{"ok": true, "result": true}'
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY)


class Server:
    """A tiny keep-alive HTTP server on loopback that answers every request the same way
    and can hang up on its clients between requests."""

    def __init__(self) -> None:
        self.connections = 0
        self.writers: list[asyncio.StreamWriter] = []

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                await reader.readexactly(length)
                writer.write(RESPONSE)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def hang_up(self) -> None:
        for writer in self.writers:
            writer.close()
            await writer.wait_closed()
        self.writers.clear()


@pytest.fixture
async def server() -> AsyncIterator[tuple[Server, str]]:
    state = Server()
    listener = await asyncio.start_server(state.serve, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    async with listener:
        yield state, f"http://127.0.0.1:{port}/botTOKEN/getMe"
        listener.close()


async def _connection_streams(request: FastPoolRequest) -> list[httpcore.AsyncNetworkStream]:
    pool = request._client._transport._pool  # type: ignore[attr-defined]
    return [c._connection._network_stream for c in pool.connections if c._connection]


async def test_requests_share_a_connection_whose_checks_go_through_our_stream(
    server: tuple[Server, str],
) -> None:
    state, url = server
    request = FastPoolRequest()
    await request.initialize()
    try:
        async with asyncio.timeout(HANG):
            for _ in range(3):
                status, _body = await request.do_request(url, "POST")
                assert status == 200
        assert state.connections == 1  # kept alive: "not closed" was answered right
        pool = request._client._transport._pool  # type: ignore[attr-defined]
        assert isinstance(pool._network_backend, _Backend)
        assert all(isinstance(s, _Stream) for s in await _connection_streams(request))
    finally:
        await request.shutdown()


async def test_a_connection_the_server_closed_is_not_used_again(
    server: tuple[Server, str],
) -> None:
    state, url = server
    request = FastPoolRequest()
    await request.initialize()
    try:
        async with asyncio.timeout(HANG):
            assert (await request.do_request(url, "POST"))[0] == 200
            [stream] = await _connection_streams(request)
            await state.hang_up()
            while not stream.get_extra_info("is_readable"):  # the FIN is on its way
                await asyncio.sleep(0)
            assert (await request.do_request(url, "POST"))[0] == 200
        assert state.connections == 2
    finally:
        await request.shutdown()


def test_a_socket_is_readable_once_the_other_end_has_closed() -> None:
    ours, theirs = socket.socketpair()
    try:
        assert not _readable(ours)
        theirs.close()
        assert _readable(ours)
    finally:
        ours.close()
    assert _readable(ours)  # no descriptor any more: as if closed
