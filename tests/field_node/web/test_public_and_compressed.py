"""The station's public pages and compression (issue 15): the favicon needs no sign-in, a dead job link leads to
the job board, and pages arrive gzip'd on the station's Wi-Fi."""

from __future__ import annotations


def test_the_favicon_is_public_and_a_dead_job_link_leads_to_the_board(station):
    client = station["app"].test_client()
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    missing = client.get("/j/" + "0" * 32)
    page = missing.get_data(as_text=True)
    assert missing.status_code == 404 and 'href="/jobs"' in page and "/login" not in page


def test_the_station_compresses_its_pages(member_client):
    reply = member_client.get("/", headers={"Accept-Encoding": "gzip"})
    assert reply.status_code == 200 and reply.headers.get("Content-Encoding") == "gzip"
    plain = member_client.get("/", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and len(plain.get_data()) > len(reply.get_data())


def test_the_offline_apps_files_arrive_gzipd_whole_and_still_answer_304(station):
    import gzip
    from pathlib import Path

    import field_node.web

    client = station["app"].test_client()
    source = (Path(field_node.web.__file__).parent / "static" / "offline.js").read_bytes()
    for _ in range(2):  # the second from the kept compressed copy
        reply = client.get("/static/offline.js", headers={"Accept-Encoding": "br, gzip"})
        assert reply.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in reply.headers["Vary"]
        assert gzip.decompress(reply.get_data()) == source and int(reply.headers["Content-Length"]) < len(source)
        reply.close()
    etag = reply.headers["ETag"]
    again = client.get("/static/offline.js", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304
    assert "Content-Encoding" not in client.get("/static/offline.js", headers={"Accept-Encoding": "br"}).headers
