"""The hub's public job pages (issue 15): the favicon never redirects to sign-in, a dead job link's 404 leads to the
job board, and pages are gzip'd (flask-compress)."""

from __future__ import annotations


def test_the_favicon_is_public(anonymous):
    icon = anonymous.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and "Location" not in icon.headers


def test_a_dead_job_link_leads_to_the_job_board_not_to_sign_in(anonymous):
    for path in ("/j/" + "0" * 32, "/j/short", "/j/" + "0" * 32 + "/poster"):
        reply = anonymous.get(path)
        page = reply.get_data(as_text=True)
        assert reply.status_code == 404 and 'href="/jobs"' in page and "/login" not in page, path


def test_pages_are_compressed(client, county):
    packed = client.get("/households/" + county[0]["household_id"], headers={"Accept-Encoding": "gzip"})
    plain = client.get("/households/" + county[0]["household_id"], headers={"Accept-Encoding": "identity"})
    assert packed.headers.get("Content-Encoding") == "gzip" and "Content-Encoding" not in plain.headers
    assert len(packed.get_data()) * 2 < len(plain.get_data())
