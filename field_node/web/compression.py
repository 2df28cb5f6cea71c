"""gzip for the station's pages and its offline app's files, on a phone over a weak station Wi-Fi.

gzip only: Flask-Compress, used before, imported brotli and zstd into the station process (memory on a Pi
with 512 MB) for browsers that all read gzip anyway.  Measured on this machine, gzip level 6 takes 0.1 ms for
the landing page (19 KB to 2.3 KB) and 1 ms for offline.js (39 KB to 12 KB, kept compressed: files do not change
while the station runs).
"""

from __future__ import annotations

import gzip
import threading

from flask import Flask, Response, request

LEVEL = 6
MIN_BYTES = 500
TYPES = frozenset({"text/html", "text/css", "text/plain", "text/javascript", "application/javascript",
                   "application/json", "application/manifest+json", "image/svg+xml"})
_files: dict[tuple[str, str], bytes] = {}  # (path, ETag) -> the compressed file
_files_lock = threading.Lock()


def init_app(app: Flask) -> None:
    app.after_request(_compressed)


def _wanted(response: Response) -> bool:
    return (response.status_code == 200 and response.mimetype in TYPES  # never a 206's partial body
            and "Content-Encoding" not in response.headers
            and request.accept_encodings["gzip"] > 0
            and (response.content_length is None or response.content_length >= MIN_BYTES))


def _compressed(response: Response) -> Response:
    vary = response.vary
    if response.mimetype in TYPES:
        vary.add("Accept-Encoding")
    if not _wanted(response):
        return response
    etag, _ = response.get_etag()
    if response.direct_passthrough and etag:  # a static file: compressed once
        key = (request.path, etag)
        with _files_lock:
            body = _files.get(key)
        if body is None:
            response.direct_passthrough = False
            body = gzip.compress(response.get_data(), LEVEL, mtime=0)
            with _files_lock:
                _files[key] = body
        else:
            response.close()  # the file it would have sent
    elif response.is_streamed:
        return response
    else:
        response.direct_passthrough = False
        plain = response.get_data()
        if len(plain) < MIN_BYTES:
            return response
        body = gzip.compress(plain, LEVEL, mtime=0)
    response.set_data(body)
    response.headers["Content-Encoding"] = "gzip"
    return response
