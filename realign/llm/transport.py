"""A lean HTTP/1.1 keep-alive transport for plain ``http://`` model servers.

`openai.AsyncOpenAI` sends through httpx2, whose default connection pool probes every idle
socket on every request; with 64 keep-alive connections to a local vLLM server that pool costs
more CPU than everything else realign does per row. This transport keeps the SDK and httpx2
(their request building, errors and response handling) and replaces only the socket layer:
a pool of asyncio stream connections per host, one request at a time per connection.

It serves ``http://`` only; `realign.llm.client` uses httpx2's default transport for
``https://`` (the OpenAI API) and whenever ``LLMSettings.http_transport = "httpx"``. Proxies
configured in the environment still apply: httpx2 routes proxied URLs through its own mounts.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

import httpx2

__all__ = ["AsyncStreamTransport"]

_HEAD_LIMIT = 1024 * 1024


class _Connection:
    __slots__ = ("reader", "writer", "answered")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.answered = False  # a byte of the current answer has arrived

    def close(self) -> None:
        try:
            self.writer.close()
        except RuntimeError:  # the event loop is already closed
            pass


class AsyncStreamTransport(httpx2.AsyncBaseTransport):
    """httpx2 transport: HTTP/1.1 over asyncio streams with keep-alive, ``http://`` only.

    Request bodies are sent with their Content-Length; responses are read whole (Content-Length,
    chunked, or until close). A request that fails on a reused connection before any byte of
    the answer arrived is sent once more on a fresh connection (the server may have closed the
    idle connection meanwhile). Timeouts come from httpx2's per-request ``timeout`` extension:
    ``connect`` for opening a connection, ``read`` for the whole answer.
    """

    def __init__(self, max_idle_per_host: int = 256) -> None:
        self._idle: dict[tuple[str, int], deque[_Connection]] = {}
        self._max_idle = max_idle_per_host
        self._closed = False

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        url = request.url
        if url.scheme != "http":
            raise httpx2.UnsupportedProtocol(f"this transport serves http:// only, not {url.scheme}://", request=request)
        host = url.host
        port = url.port or 80
        timeouts: dict[str, Any] = request.extensions.get("timeout") or {}
        body = await request.aread()
        target = url.raw_path.decode("ascii")
        lines = [f"{request.method} {target} HTTP/1.1"]
        has_length = False
        for name, value in request.headers.raw:
            lowered = name.lower()
            if lowered == b"transfer-encoding":
                continue  # the body is sent whole, with its length
            if lowered == b"content-length":
                has_length = True
            lines.append(f"{name.decode('latin-1')}: {value.decode('latin-1')}")
        if not has_length and (body or request.method in ("POST", "PUT", "PATCH")):
            lines.append(f"Content-Length: {len(body)}")
        payload = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

        key = (host, port)
        for _ in range(2):
            connection, reused = self._take(key), True
            if connection is None:
                connection, reused = await self._connect(request, host, port, timeouts.get("connect")), False
            connection.answered = False
            done = False
            try:
                connection.writer.write(payload)
                status, reason, headers, content, keep_alive = await self._read_response(
                    connection, request, timeouts.get("read")
                )
                done = True
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                if reused and not connection.answered:
                    continue  # a stale keep-alive connection: try a fresh one
                raise httpx2.ReadError(f"connection lost while reading the answer: {exc!r}", request=request) from exc
            finally:
                if not done:
                    connection.close()
            if keep_alive and not self._closed:
                self._give_back(key, connection)
            else:
                connection.close()
            return httpx2.Response(
                status,
                headers=headers,
                content=content,
                request=request,
                extensions={"http_version": b"HTTP/1.1", "reason_phrase": reason},
            )
        raise httpx2.ReadError("the server closed the connection twice without answering", request=request)

    async def aclose(self) -> None:
        self._closed = True
        for connections in self._idle.values():
            while connections:
                connections.popleft().close()
        self._idle.clear()

    # -- internals --------------------------------------------------------------------------

    def _take(self, key: tuple[str, int]) -> _Connection | None:
        connections = self._idle.get(key)
        while connections:
            connection = connections.pop()
            if connection.reader.at_eof() or connection.writer.is_closing():
                connection.close()
                continue
            return connection
        return None

    def _give_back(self, key: tuple[str, int], connection: _Connection) -> None:
        connections = self._idle.setdefault(key, deque())
        if len(connections) >= self._max_idle:
            connection.close()
        else:
            connections.append(connection)

    async def _connect(self, request: httpx2.Request, host: str, port: int, timeout: float | None) -> _Connection:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(host, port, limit=_HEAD_LIMIT), timeout
            )
        except asyncio.TimeoutError:
            raise httpx2.ConnectTimeout(f"connecting to {host}:{port} timed out", request=request) from None
        except OSError as exc:
            raise httpx2.ConnectError(f"cannot connect to {host}:{port}: {exc}", request=request) from exc
        return _Connection(reader, writer)

    async def _read_response(
        self, connection: _Connection, request: httpx2.Request, timeout: float | None
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]], bytes, bool]:
        try:
            return await asyncio.wait_for(self._read(connection, request), timeout)
        except asyncio.TimeoutError:
            raise httpx2.ReadTimeout("no answer within the read timeout", request=request) from None

    async def _read(
        self, connection: _Connection, request: httpx2.Request
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]], bytes, bool]:
        reader = connection.reader
        await connection.writer.drain()
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError as exc:
                if exc.partial:
                    connection.answered = True
                raise
            except asyncio.LimitOverrunError:
                raise httpx2.RemoteProtocolError("response head too large", request=request) from None
            connection.answered = True
            status_line, _, header_block = head[:-4].partition(b"\r\n")
            parts = status_line.split(b" ", 2)
            if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
                raise httpx2.RemoteProtocolError(f"bad status line {status_line[:80]!r}", request=request)
            try:
                status = int(parts[1])
            except ValueError:
                raise httpx2.RemoteProtocolError(f"bad status line {status_line[:80]!r}", request=request) from None
            if 100 <= status < 200:
                continue  # interim answer (100 Continue): the real one follows
            break
        reason = parts[2] if len(parts) > 2 else b""
        headers: list[tuple[bytes, bytes]] = []
        length: int | None = None
        chunked = False
        connection_header = b""
        for line in header_block.split(b"\r\n"):
            name, sep, value = line.partition(b":")
            if not sep:
                continue
            name = name.strip()
            value = value.strip()
            headers.append((name, value))
            lowered = name.lower()
            if lowered == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    raise httpx2.RemoteProtocolError("bad Content-Length", request=request) from None
            elif lowered == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif lowered == b"connection":
                connection_header = value.lower()
        keep_alive = parts[0] == b"HTTP/1.1" and b"close" not in connection_header
        if request.method == "HEAD" or status in (204, 304):
            content = b""
        elif chunked:
            content = await self._read_chunked(reader, request)
            headers = [(n, v) for n, v in headers if n.lower() != b"transfer-encoding"]
            headers.append((b"content-length", str(len(content)).encode()))
        elif length is not None:
            content = await reader.readexactly(length)
        else:
            content = await reader.read()  # until the server closes
            keep_alive = False
        return status, reason, headers, content, keep_alive

    async def _read_chunked(self, reader: asyncio.StreamReader, request: httpx2.Request) -> bytes:
        chunks = []
        while True:
            size_line = await reader.readuntil(b"\r\n")
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise httpx2.RemoteProtocolError("bad chunk size", request=request) from None
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
