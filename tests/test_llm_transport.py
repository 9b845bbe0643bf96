"""The lean keep-alive transport, against a raw asyncio server that misbehaves on purpose."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx2
import pytest

from realign.llm.transport import AsyncStreamTransport

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return await reader.readexactly(length)


def ok(body: bytes, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n%s\r\n" % (len(body), extra) + body


async def with_server(handler: Handler, scenario: Callable[[str, httpx2.AsyncClient], Awaitable[None]]) -> list[int]:
    """Run `scenario(base_url, client)`; returns how many connections the server saw."""
    connections: list[int] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        try:
            await handler(reader, writer, len(connections))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with httpx2.AsyncClient(transport=AsyncStreamTransport(), timeout=2) as client:
        await scenario(f"http://127.0.0.1:{port}", client)
    server.close()
    return connections


def test_keep_alive_reuses_one_connection_and_sends_the_body():
    seen: list[bytes] = []

    async def handler(reader, writer, number):
        while True:
            body = await read_request(reader)
            seen.append(body)
            writer.write(ok(b'{"echo": %s}' % body))

    async def scenario(url, client):
        for i in range(3):
            response = await client.post(url + "/v1/chat", json={"i": i})
            assert response.status_code == 200 and response.json() == {"echo": {"i": i}}

    assert len(asyncio.run(with_server(handler, scenario))) == 1
    assert len(seen) == 3


def test_stale_connection_is_replaced_transparently():
    async def handler(reader, writer, number):
        await read_request(reader)
        writer.write(ok(b"{}"))  # claims keep-alive, then closes: the next request finds it dead
        await writer.drain()

    async def scenario(url, client):
        for _ in range(3):
            assert (await client.get(url + "/")).status_code == 200
            await asyncio.sleep(0.02)

    assert len(asyncio.run(with_server(handler, scenario))) == 3


def test_chunked_and_close_delimited_answers():
    async def handler(reader, writer, number):
        await read_request(reader)
        if number == 1:
            writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n4\r\n: 1}\r\n0\r\n\r\n")
            await read_request(reader)
            writer.write(b"HTTP/1.1 201 Created\r\nconnection: close\r\n\r\n{\"b\": 2}")
            await writer.drain()

    async def scenario(url, client):
        assert (await client.get(url + "/")).json() == {"a": 1}
        second = await client.get(url + "/")
        assert second.status_code == 201 and second.json() == {"b": 2}

    asyncio.run(with_server(handler, scenario))


def test_read_timeout_and_connection_errors_are_httpx_errors():
    async def handler(reader, writer, number):
        await read_request(reader)
        if number == 1:
            await asyncio.sleep(5)  # never answers in time
        else:
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\ncut")  # dies mid-body
            await writer.drain()

    async def scenario(url, client):
        with pytest.raises(httpx2.ReadTimeout):
            await client.get(url + "/", timeout=0.2)
        with pytest.raises(httpx2.ReadError):
            await client.get(url + "/")

    asyncio.run(with_server(handler, scenario))


def test_refused_connection_and_https_are_reported():
    async def scenario() -> None:
        async with httpx2.AsyncClient(transport=AsyncStreamTransport(), timeout=2) as client:
            with pytest.raises(httpx2.ConnectError):
                await client.get("http://127.0.0.1:9/")
            with pytest.raises(httpx2.UnsupportedProtocol):
                await client.get("https://127.0.0.1:9/")

    asyncio.run(scenario())
