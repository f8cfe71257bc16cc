"""Serve mongoeco's memory engine over the MongoDB wire protocol on loopback, for the conformance run.

Run with the Python of `.mongoeco-venv` (mongoeco needs Python >= 3.13):
`python scripts/mongoeco_server.py URL_FILE [PORT]`. Once it listens (on PORT, default a free one) it writes
its `mongodb://` URL to URL_FILE; it serves until SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from mongoeco.engines import MemoryEngine
from mongoeco.wire import AsyncMongoEcoProxyServer


async def serve(url_file: Path, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with AsyncMongoEcoProxyServer(engine=MemoryEngine(), host="127.0.0.1", port=port) as server:
        address = server.address
        partial = url_file.with_suffix(".partial")
        partial.write_text(f"mongodb://{address.host}:{address.port}/?directConnection=true\n")
        partial.replace(url_file)  # the test script polls for the file: it must never see half a URL
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(serve(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 0))
