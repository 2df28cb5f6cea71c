"""`fieldsync-node serve`: the station app in one waitress process (waitress and the app load only when it runs)."""

from __future__ import annotations

from typing import Any

import click

from field_node.cli.common import with_node
from field_node.sync import node as node_module

M_ARENA_MAX = -8  # glibc's mallopt parameter number


def _one_malloc_arena() -> None:
    """glibc gives each thread that allocates its own malloc arena; for the station app's WEB_THREADS threads
    that held about 7 MB more memory on a Pi with 512 MB–1 GB, while the GIL lets only one of them run
    Python at a time anyway.  One arena, set before the threads start.  Nothing happens on other C libraries."""
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    mallopt(M_ARENA_MAX, 1)


@click.command()
@click.option("--bind", default=None, help="host:port to listen on [default: setting WEB_BIND, 0.0.0.0:8080].")
@with_node
def serve(opened: node_module.Node, bind: str | None) -> None:
    """Serve the station app (one process, WEB_THREADS threads) to phones on the station Wi-Fi."""
    import waitress

    from field_node.web import create_app

    address = bind or opened.settings["WEB_BIND"]
    host, _, port = address.rpartition(":")
    _one_malloc_arena()
    app = create_app(data_dir=opened.data_dir)
    _freeze_what_start_up_made()
    click.echo(f"站点应用已启动：http://{host}:{port}/ （同一 Wi-Fi 下的手机用本机地址访问）")
    waitress.serve(app, host=host, port=int(port), threads=opened.settings["WEB_THREADS"], ident="fieldsync",
                   expose_tracebacks=False)


def _freeze_what_start_up_made() -> None:
    """Move every object made at start-up (modules, templates, the app) out of the garbage collector's reach:
    a full collection then walks only what requests made, and no page pays tens of milliseconds for it on a
    Pi-class core."""
    import gc

    gc.collect()
    gc.freeze()


@click.command("serve-tls")
@click.option("--bind", default=None, help="host:port to listen on [default: setting WEB_TLS_BIND, 0.0.0.0:443].")
@with_node
def serve_tls(opened: node_module.Node, bind: str | None) -> None:
    """Serve the station app over HTTPS with the station's certificate (cheroot), reloading a renewed one."""
    from cheroot import wsgi
    from cheroot.ssl.builtin import BuiltinSSLAdapter

    from field_node.store.tls import TlsFiles
    from field_node.web import create_app

    files = TlsFiles.of(opened.data_dir)
    certificate = files.current()
    if certificate is None:
        raise click.ClickException("本站还没有证书：请先运行 fieldsync-node sync（县级平台签发后下次同步时送达），"
                                   "在此之前用 fieldsync-node serve 提供 http 访问。")
    address = bind or opened.settings["WEB_TLS_BIND"]
    host, _, port = address.rpartition(":")
    _one_malloc_arena()
    app = create_app(data_dir=opened.data_dir)
    server = wsgi.Server((host, int(port)), app, numthreads=opened.settings["WEB_THREADS"], server_name="fieldsync")
    adapter = BuiltinSSLAdapter(str(files.cert_path), str(files.key_path))
    server.ssl_adapter = adapter
    _reload_renewed(adapter, files, opened.settings["TLS_RELOAD_SECONDS"])
    _freeze_what_start_up_made()
    names = certificate.subject.rfc4514_string()
    click.echo(f"站点应用已启动（https，{names}）：https://<本站名称>:{port}/ ")
    try:
        server.start()
    finally:
        server.stop()


def _reload_renewed(adapter: Any, files: Any, every: float) -> None:
    """A thread that loads the certificate again when sync installed a renewed one: new connections get it."""
    import ssl
    import threading
    import time

    def watch() -> None:
        seen = files.cert_path.stat().st_mtime_ns
        while True:
            time.sleep(every)
            try:
                changed = files.cert_path.stat().st_mtime_ns
                if changed != seen:
                    adapter.context.load_cert_chain(str(files.cert_path), str(files.key_path))
                    seen = changed
            except (OSError, ssl.SSLError):  # a pair half replaced: the next look loads it
                continue

    threading.Thread(target=watch, name="certificate-reload", daemon=True).start()
