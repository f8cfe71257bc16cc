"""`cuvee serve`: the API (granian, or uvicorn with --reload) in one or more worker processes."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from app import __version__
from app.backends import probe_backends
from app.cli.common import run, wait_for_backends
from app.settings import Settings

if TYPE_CHECKING:
    from litestar import Litestar


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--reload", is_flag=True, help="Restart on code changes (development; uses uvicorn).")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=int,
    help="Worker processes (only with real MongoDB: the in-process one lives in one process).",
)
@click.option(
    "--ssl-certfile",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Serve HTTPS with this certificate chain (PEM; default CUVEE_TLS_CERT).",
)
@click.option(
    "--ssl-keyfile",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The certificate's private key (PEM; default CUVEE_TLS_KEY).",
)
def serve(
    host: str, port: int, reload: bool, workers: int, ssl_certfile: Path | None, ssl_keyfile: Path | None
) -> None:
    """Serve the API (and, in the embedded mode, the clickstream worker) until interrupted."""
    settings = Settings()
    if workers > 1 and settings.embedded:
        raise click.ClickException("--workers > 1 needs a real MongoDB: set CUVEE_MONGODB_URL")
    cert, key = ssl_certfile or settings.tls_cert, ssl_keyfile or settings.tls_key
    if (cert is None) != (key is None):
        raise click.ClickException("HTTPS needs both a certificate and its key (--ssl-certfile and --ssl-keyfile)")
    for path in (cert, key):
        if path is not None and not path.is_file():
            raise click.ClickException(f"TLS file {path} does not exist")
    run(wait_for_backends(lambda: probe_backends(settings), settings.startup_wait_s))
    base = f"{'https' if cert else 'http'}://{host}:{port}"
    click.echo(f"Cuvée {__version__} on {base}/  (API docs: {base}/schema)")
    if reload:
        import uvicorn

        # proxy_headers off: the app alone decides whom a forwarding header is believed from (CUVEE_TRUSTED_PROXIES)
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=host,
            port=port,
            reload=True,
            proxy_headers=False,
            ssl_certfile=str(cert) if cert else None,
            ssl_keyfile=str(key) if key else None,
        )
        return
    from granian import Granian
    from granian.constants import Interfaces

    Granian(
        "app.cli.serve:served_app",
        factory=True,
        interface=Interfaces.ASGI,
        address=host,
        port=port,
        workers=workers,
        log_access=False,
        ssl_cert=cert,
        ssl_key=key,
    ).serve()


def served_app() -> Litestar:
    """The app as a granian worker process builds it. The worker dies with `cuvee serve` even on kill -9:
    an orphaned worker would keep the data directory's lock and its journal open with nobody to stop it."""
    from app.main import create_app

    if sys.platform == "linux":
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
        if os.getppid() == 1:  # the parent was already gone before the line above
            os._exit(1)
    return create_app()
