"""Every QR code we print is read back by a real decoder (zxing-cpp) and opens the posting's public page."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp  # the zxing-cpp wheel: a real decoder, as phones' scanners are
from PIL import Image, ImageDraw

from shared.posting_qr import posting_url, qr_png, qr_svg
from shared.postings import new_posting_id

BASES = ["https://jobs.rongan.example.gov.cn", "https://hub.example.org/fieldsync/", "http://192.168.4.1:8080",
         "http://node-shazi.local"]
URLS = [posting_url(base, new_posting_id()) for base in BASES]
# Digits that could be read as a mobile number, an 18-character ID number, or any long number at all.
PERSONAL_LOOKING = [re.compile(r"1[3-9]\d{9}"), re.compile(r"\d{17}[\dX]"), re.compile(r"\d{11,}")]


def decode(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image.convert("L"))]


def svg_to_image(svg: str, scale: int = 8) -> Image.Image:
    """Paint the squares of qrcode's SVG path (``M x,y H x V y H x z``) on white: no SVG renderer needed."""
    size = int(float(re.search(r'viewBox="0 0 ([\d.]+)', svg).group(1)))
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    squares = re.findall(r"M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)", svg)
    assert squares
    for x0, y0, x1, y1 in squares:
        box = [float(x0) * scale, float(y0) * scale, float(x1) * scale - 1, float(y1) * scale - 1]
        draw.rectangle(box, fill=0)
    return image


def test_urls_point_at_the_public_page_and_nothing_else():
    posting_id = new_posting_id()
    assert posting_url("https://hub.example.org/", posting_id) == f"https://hub.example.org/j/{posting_id}"
    assert posting_url("http://192.168.4.1:8080", posting_id) == f"http://192.168.4.1:8080/j/{posting_id}"


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("box_size", [4, 10])
def test_png_codes_decode_to_their_url(url, box_size):
    png = qr_png(url, box_size=box_size)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    assert decode(image) == [url]


@pytest.mark.parametrize("url", URLS)
def test_svg_codes_decode_to_their_url(url):
    svg = qr_svg(url)
    assert svg.startswith("<svg")
    assert decode(svg_to_image(svg)) == [url]


def test_a_code_still_reads_when_a_poster_is_printed_small_and_scanned_back():
    url = URLS[0]
    image = Image.open(io.BytesIO(qr_png(url, box_size=10))).convert("L")
    resized = image.resize((image.width // 3, image.height // 3), Image.Resampling.BILINEAR)
    assert decode(resized) == [url]


def test_bigger_boxes_make_bigger_images():
    small = Image.open(io.BytesIO(qr_png(URLS[0], box_size=4)))
    large = Image.open(io.BytesIO(qr_png(URLS[0], box_size=10)))
    assert large.width == small.width * 10 // 4


@pytest.mark.parametrize("url", URLS)
def test_nothing_personal_looking_is_in_a_code(url):
    for pattern in PERSONAL_LOOKING:
        assert not pattern.search(url), (pattern, url)
    assert decode(Image.open(io.BytesIO(qr_png(url)))) == [url]


@pytest.mark.parametrize("posting_id", ["13907720001", "450224199001011234", "覃丽", "../admin", "AB" * 16, ""])
def test_only_a_posting_id_can_be_put_in_a_url(posting_id):
    with pytest.raises(ValueError):
        posting_url("https://hub.example.org", posting_id)


@pytest.mark.parametrize("base", ["hub.example.org", "javascript:alert(1)", "ftp://hub.example.org", ""])
def test_only_an_http_base_is_accepted(base):
    with pytest.raises(ValueError):
        posting_url(base, new_posting_id())
