"""Hostile uploads at every door that takes a photo: the web report form, the REST intake, Open311,
a library exemplar and a campaign recommendation. Each is refused with a reason naming the file, and
leaves nothing behind: no case, no event, no file under MEDIA_ROOT.

The files: an executable renamed .jpg, text said to be a PNG, an SVG carrying a script (said to be
SVG, and said to be PNG), a file over 5 MB, a PNG whose header claims 30000×30000 pixels (Pillow's
own bomb limit), one of 10000×6000 (under Pillow's limit, over ours), one of 6000×4500 (a PNG cannot
be decoded reduced: over the decoding budget), a progressive JPEG of 13 MP (the same), a GIF whose
frames add up to too many pixels, and a JPEG whose EXIF names a tag with the wrong type (it made
re-encoding crash). A baseline JPEG of 48 MP passes, decoded at half its size within the budget.
"""

from __future__ import annotations

import contextlib
import functools
import io
import random
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from chuishao.cases.errors import CaseInvalid
from chuishao.cases.media import check_media
from chuishao.cases.models import Case, CaseMedia
from chuishao.events.models import Event
from tests.api.rest_cases_helpers import CASES, body, key_client
from tests.factories import grid_centre, photo

JPEG, PNG, GIF = "image/jpeg", "image/png", "image/gif"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<script>alert(document.cookie)</script><rect width="10" height="10"/></svg>'
)


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares its size and carries one tiny compressed row: a bomb's header."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


@functools.cache
def _gif_of_many_frames() -> bytes:
    """4 frames of 3600×3600 (52 M pixels together) in a few kB."""
    frames = [Image.new("P", (3600, 3600), i % 2) for i in range(4)]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:])
    return out.getvalue()


@functools.cache
def _progressive_jpeg_of_13_megapixels() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4200, 3100), "grey").save(out, format="JPEG", progressive=True)
    return out.getvalue()


def _jpeg_with_a_mistyped_exif_tag() -> bytes:
    """ImageDescription (ASCII) renamed ColorMap, a tag Pillow writes as SHORTs: ``struct.error``."""
    exif = Image.Exif()
    exif[0x010E] = "x" * 50
    out = io.BytesIO()
    Image.new("RGB", (16, 12), "red").save(out, format="JPEG", exif=exif.tobytes())
    data = out.getvalue()
    tag = data.index(b"\x01\x0e\x00\x02")  # big-endian: tag 0x010E, type ASCII
    return data[:tag] + b"\x01\x40" + data[tag + 2 :]


HOSTILE = {
    "exe-renamed-jpg": lambda: (
        "setup.jpg",
        b"MZ\x90\x00\x03" + b"\0" * 58 + b"PE\0\0" + b"\x90" * 400,
        JPEG,
    ),
    "text-as-png": lambda: ("notes.png", "就是一段文字\n".encode() * 20, PNG),
    "svg-with-script": lambda: ("logo.svg", SVG, "image/svg+xml"),
    "svg-said-png": lambda: ("logo.png", SVG, PNG),
    "over-5-mb": lambda: ("huge.jpg", photo(size=(8, 6)).read() + b"\0" * (5 * 1024 * 1024), JPEG),
    "bomb-30000x30000": lambda: ("bomb.png", _png_header_only(30000, 30000), PNG),
    "bomb-10000x6000": lambda: ("wide.png", _png_header_only(10000, 6000), PNG),
    "png-6000x4500": lambda: ("long.png", _png_header_only(6000, 4500), PNG),
    "progressive-13mp": lambda: ("web.jpg", _progressive_jpeg_of_13_megapixels(), JPEG),
    "gif-frames": lambda: ("anim.gif", _gif_of_many_frames(), GIF),
    "mistyped-exif": lambda: ("exif.jpg", _jpeg_with_a_mistyped_exif_tag(), JPEG),
}
REASONS = ("not a photo", "larger than 5 MB", "too many pixels", "says it is")


def hostile(kind: str) -> SimpleUploadedFile:
    name, data, content_type = HOSTILE[kind]()
    return SimpleUploadedFile(name, data, content_type=content_type)


def stored_files() -> list[Path]:
    root = Path(django_settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def doors(city, make_key, settings):
    settings.CHUISHAO_INTAKE_RATE_PER_KEY = settings.CHUISHAO_INTAKE_RATE_PER_ADDRESS = 0
    cache.clear()
    return {"intake": make_key(scopes=["intake"]), "open311": make_key(name="civic app")}


@pytest.mark.parametrize("kind", HOSTILE)
def test_the_photo_check_refuses_with_a_reason_naming_the_file(kind):
    f = hostile(kind)
    with pytest.raises(CaseInvalid) as refused:
        check_media([f])
    message = str(refused.value.message)
    assert f.name in message and any(reason in message for reason in REASONS), message


def _web_form(client, city, doors, f):
    lat, lng = grid_centre("110901001001001")
    data = {"category": "S0102", "description": "门口有个坑", "lat": lat, "lng": lng, "photos": [f]}
    response = client.post("/report/", data)
    assert response.status_code == 400
    return response.content.decode()


def _rest(client, city, doors, f):
    response = key_client(doors["intake"]).post(CASES, body() | {"media": [f]}, format="multipart")
    assert response.status_code == 400, response.content[:300]
    return response.content.decode()


def _open311(client, city, doors, f):
    lat, lng = grid_centre("110901001001002")
    data = {"api_key": doors["open311"], "service_code": "S0102", "description": "垃圾桶满了"}
    response = client.post("/open311/v2/requests.json", data | {"lat": lat, "long": lng, "media": f})
    assert response.status_code == 400, response.content[:300]
    return response.content.decode()


@pytest.mark.parametrize("door", [_web_form, _rest, _open311], ids=["web-form", "rest", "open311"])
@pytest.mark.parametrize("kind", ["exe-renamed-jpg", "svg-with-script", "bomb-30000x30000", "mistyped-exif"])
def test_a_report_with_a_hostile_photo_is_refused_whole(client, city, doors, door, kind):
    events = Event.objects.count()
    f = hostile(kind)
    answer = door(client, city, doors, f)
    assert f.name in answer
    assert Case.objects.count() == 0 and CaseMedia.objects.count() == 0
    assert Event.objects.count() == events
    assert stored_files() == []


@pytest.mark.parametrize("kind", ["gif-frames", "mistyped-exif"])
def test_library_attachments_refuse_them_too(db, kind):
    from chuishao.library import services as library
    from chuishao.library.errors import LibraryInvalid
    from chuishao.library.models import ExemplarAttachment
    from tests.library.library_city import library_city, write

    city = library_city()
    exemplar = write(city)
    events = Event.objects.count()
    with pytest.raises(LibraryInvalid, match="photo|pixels"):
        library.attachments_add(actor=city.people["community-a"], exemplar=exemplar, files=[hostile(kind)])
    assert ExemplarAttachment.objects.count() == 0 and Event.objects.count() == events
    assert stored_files() == []


def test_a_photo_with_a_stray_orientation_and_a_position_is_kept_without_the_position(city, report):
    exif = Image.Exif()
    exif[0x0112] = 9  # orientations run 1–8
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 0.0), 3: "E", 4: (116.0, 23.0, 0.0)}
    out = io.BytesIO()
    Image.new("RGB", (8, 6), "blue").save(out, format="JPEG", exif=exif.tobytes())
    case = report(media=[SimpleUploadedFile("odd.jpg", out.getvalue(), content_type=JPEG)])
    with case.media.get().file.open("rb") as f, Image.open(f) as img:
        kept = img.getexif()
    assert 0x8825 not in kept and kept[0x0112] == 9 and img.size == (8, 6)


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns of the damage it skips
def test_damaged_photos_are_refused_or_kept_never_a_crash():
    """Every single-byte change of a small JPEG, PNG, WebP and GIF carrying EXIF (a fixed sample)."""
    rnd = random.Random(20261129)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010E] = "x" * 50
    exif[0x8825] = {1: "N", 2: (39.0, 0.0, 0.0)}
    for fmt, content_type in {"JPEG": JPEG, "PNG": PNG, "WEBP": "image/webp", "GIF": GIF}.items():
        out = io.BytesIO()
        Image.new("RGB", (16, 12), (200, 80, 40)).save(out, format=fmt, exif=exif.tobytes())
        base = out.getvalue()
        for _ in range(150):
            data = bytearray(base)
            data[rnd.randrange(len(data))] = rnd.randrange(256)
            with contextlib.suppress(CaseInvalid):
                check_media([SimpleUploadedFile("m", bytes(data), content_type=content_type)])


# --- a camera's 48 MP JPEG: kept, decoded reduced within the memory budget ----------------------------

# Made in a child process: the whole image (190 MB of pixels) never lives in the test's process.
_MAKE_48_MP = """
import sys
from PIL import Image
gradient = Image.linear_gradient("L").resize((8000, 6000))
mirrored = gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
img = Image.merge("RGB", (gradient, gradient.rotate(180), mirrored))
exif = Image.Exif()
exif[0x0112] = 6
exif[0x010F] = "Phone"
exif[0x8825] = {1: "N", 2: (39.0, 54.0, 0.0), 3: "E", 4: (116.0, 23.0, 0.0)}
img.save(sys.argv[1], format="JPEG", quality=85, exif=exif.tobytes())
"""

# Peak resident memory that checking the file adds, in a fresh process (ru_maxrss is a high-water mark).
_MEASURE = """
import os, resource, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuishao.settings")
import django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from chuishao.cases.media import check_media
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
check_media([SimpleUploadedFile("camera.jpg", data, "image/jpeg")])
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


@pytest.fixture(scope="module")
def camera_jpeg(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("camera") / "48mp.jpg"
    subprocess.run([sys.executable, "-c", _MAKE_48_MP, str(path)], check=True, timeout=120)  # noqa: S603
    data = path.read_bytes()
    assert len(data) < 5 * 1024 * 1024
    return data


@pytest.mark.parametrize("kind", ["bomb-10000x6000", "png-6000x4500", "progressive-13mp", "gif-frames"])
def test_photos_that_cannot_be_decoded_within_the_budget_are_refused_for_their_pixels(kind):
    f = hostile(kind)
    with pytest.raises(CaseInvalid, match="too many pixels"):
        check_media([f])


def test_a_48_megapixel_camera_jpeg_is_kept_at_half_its_size_without_its_position(camera_jpeg):
    (kept,) = check_media([SimpleUploadedFile("camera.jpg", camera_jpeg, content_type=JPEG)])
    with Image.open(kept) as img:
        assert img.format == "JPEG" and img.size == (4000, 3000)
        exif = img.getexif()
    assert exif[0x0112] == 6 and exif[0x010F] == "Phone"
    assert 0x8825 not in exif


def test_checking_a_48_megapixel_jpeg_stays_within_the_memory_budget(camera_jpeg, tmp_path):
    """Decoded whole, the check added 368 MB to the process; decoded at half size, under 50 MB."""
    path = tmp_path / "48mp.jpg"
    path.write_bytes(camera_jpeg)
    done = subprocess.run(  # noqa: S603 — our interpreter and script
        [sys.executable, "-c", textwrap.dedent(_MEASURE), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    added_mb = int(done.stdout.split()[-1])
    assert added_mb < 120, f"checking a 48 MP JPEG added {added_mb} MB"
