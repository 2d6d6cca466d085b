"""A seeded, reproducible corpus of synthetic identity-document photos for measuring the MRZ reader.

Renders Spanish DNI-like ID cards (ICAO 9303 TD1, 3x30) and passports of several countries (TD3, 2x44) with
Debian's OCR-B font (`fonts-ocr-b`), then damages them as a phone capture would: rotation of a few degrees, a
slight perspective, blur, sensor noise, uneven light and JPEG compression. Negatives: blank images,
non-document images (shapes and ordinary text) and swapped-person images (a genuine document of one person, entered
with another person's declared identity). Nothing is downloaded; the same seed gives the same bytes.

    python -m tests.ocr.corpus --out DIR          # writes DIR/<name>.jpg and DIR/index.json
    python -m tests.ocr.corpus --sample           # rewrites docs/walkthrough/dni-sample.jpg
"""

import argparse
import dataclasses
import datetime
import io
import json
import random
import subprocess
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from stdnum.es import dni

from scoring.mrz import check_digit

SEED = 20261201
GENUINE_COUNT = 60
NEGATIVES_PER_KIND = 6
DAMAGE_LEVELS = ("mild", "moderate", "strong")
# Beyond the corpus: photos a person should retake. `python -m bench.ocr --severe` reads a set of these to probe
# false accepts where the OCR gets many characters wrong.
SEVERE = "severe"
_LEVELS = (*DAMAGE_LEVELS, SEVERE)
SAMPLE_PATH = Path(__file__).resolve().parents[2] / "docs" / "walkthrough" / "dni-sample.jpg"

# The README's passing validation ("A validation that passes"): the sample image carries exactly its MRZ.
SAMPLE_MRZ = ("IDESPCAB123456012345678Z<<<<<<", "8503127M3001019ESP<<<<<<<<<<<9", "GARCIA<MARQUEZ<<JOSE<MARIA<<<<")

_GIVEN = ["José María", "Lucía", "Carmen", "Javier", "Ana Belén", "Íñigo", "Marta", "Pedro", "Sofía", "Álvaro",
          "Jean Luc", "Marie", "Hans", "Giulia", "João", "Emma", "Liam", "Noah", "Olivia", "Jan Willem"]  # fmt: skip
_SURNAMES = ["García", "Márquez", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Núñez",
             "Ibáñez", "Dubois", "Müller", "Rossi", "Silva", "Smith", "Johnson", "de Vries", "Peña", "Ortega",
             "Castro"]  # fmt: skip
# Passport countries: (issuing state code as printed in the MRZ, nationality code).
_PASSPORT_STATES = ["ESP", "FRA", "D<<", "ITA", "PRT", "GBR", "USA", "NLD"]


@dataclass(frozen=True)
class Identity:
    """A person as declared to the service and as printed on their document."""

    given_names: str
    surnames: str
    document_type: str  # "NIF" (Spanish DNI, TD1) or "PASSPORT" (TD3)
    document_number: str  # the DNI number (8 digits + control letter) or the passport number
    nationality: str  # ICAO code as in the MRZ ("ESP", "D<<")
    birth_date: datetime.date
    expiry_date: datetime.date
    sex: str  # "M", "F" or "<"
    card_number: str = ""  # a DNI's support number (the TD1 document number field); unused for passports

    def as_json(self) -> dict:
        return {**dataclasses.asdict(self), "birth_date": self.birth_date.isoformat(),
                "expiry_date": self.expiry_date.isoformat()}  # fmt: skip


@dataclass(frozen=True)
class CorpusEntry:
    name: str
    kind: str  # "genuine", "swapped", "blank" or "non_document"
    damage: str  # a DAMAGE_LEVELS value, or "" for images that are no document
    image: bytes  # JPEG or PNG
    document: Identity | None  # who the document shows
    declared: Identity | None  # who claims it: the same person for genuine images, someone else for swapped ones
    mrz: tuple[str, ...] | None  # the MRZ printed on the image


# --- The machine-readable zone -------------------------------------------------------------------------------------


def mrz_name(value: str) -> str:
    """ICAO transliteration, enough for Latin names: accents dropped, spaces and hyphens become fillers."""
    ascii_only = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().upper()
    return "".join(char if char.isalpha() else "<" for char in ascii_only.replace("'", ""))


def _names_field(identity: Identity, length: int) -> str:
    return (mrz_name(identity.surnames) + "<<" + mrz_name(identity.given_names)).ljust(length, "<")[:length]


def _yymmdd(value: datetime.date) -> str:
    return value.strftime("%y%m%d")


def mrz_lines(identity: Identity) -> tuple[str, ...]:
    """The ICAO 9303 lines of the identity's document: TD1 for a Spanish DNI, TD3 for a passport."""
    birth, expiry = _yymmdd(identity.birth_date), _yymmdd(identity.expiry_date)
    if identity.document_type == "NIF":
        line1 = f"IDESP{identity.card_number}{check_digit(identity.card_number)}{identity.document_number}".ljust(
            30, "<"
        )
        start = f"{birth}{check_digit(birth)}{identity.sex}{expiry}{check_digit(expiry)}ESP".ljust(29, "<")
        composite = line1[5:30] + start[0:7] + start[8:15] + start[18:29]
        return line1, start + check_digit(composite), _names_field(identity, 30)
    state = identity.nationality
    number = identity.document_number.ljust(9, "<")
    personal = "<" * 14
    line2 = (
        f"{number}{check_digit(number)}{state}{birth}{check_digit(birth)}{identity.sex}{expiry}{check_digit(expiry)}"
        f"{personal}<"
    )
    composite = line2[0:10] + line2[13:20] + line2[21:43]
    return f"P<{state}{_names_field(identity, 39)}", line2 + check_digit(composite)


# --- Identities ------------------------------------------------------------------------------------------------------


def _date_between(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randrange((end - start).days))


def random_identity(rng: random.Random, document_type: str, nationality: str = "ESP") -> Identity:
    letters = "ABCDEFGHJKLMNPRSTVWXYZ"
    surnames = " ".join(rng.sample(_SURNAMES, 2 if nationality == "ESP" else 1))
    birth = _date_between(rng, datetime.date(1950, 1, 1), datetime.date(2005, 12, 31))
    expiry = _date_between(rng, datetime.date(2027, 1, 1), datetime.date(2036, 12, 31))
    if document_type == "NIF":
        digits = f"{rng.randrange(10**8):08d}"
        number = digits + dni.calc_check_digit(digits)
        card = "".join(rng.choice(letters) for _ in range(3)) + f"{rng.randrange(10**6):06d}"
    else:
        number = "".join(rng.choice(letters) for _ in range(rng.choice((2, 3)))).ljust(3, "A")
        number = number + "".join(str(rng.randrange(10)) for _ in range(9 - len(number)))
        card = ""
    return Identity(
        given_names=rng.choice(_GIVEN),
        surnames=surnames,
        document_type=document_type,
        document_number=number,
        nationality=nationality,
        birth_date=birth,
        expiry_date=expiry,
        sex=rng.choice("MF"),
        card_number=card,
    )


SAMPLE_IDENTITY = Identity(
    given_names="José María",
    surnames="García Márquez",
    document_type="NIF",
    document_number="12345678Z",
    nationality="ESP",
    birth_date=datetime.date(1985, 3, 12),
    expiry_date=datetime.date(2030, 1, 1),
    sex="M",
    card_number="CAB123456",
)


# --- Rendering -------------------------------------------------------------------------------------------------------


@cache
def ocr_b_path() -> str:
    """Debian's OCR-B (package fonts-ocr-b); fc-list finds it wherever the package puts it."""
    for candidate in ("/usr/share/fonts/opentype/ocr-b/OCRB.otf", "/usr/share/fonts/truetype/ocr-b/OCRB.ttf"):
        if Path(candidate).exists():
            return candidate
    listed = subprocess.run(["fc-list", "OCR B:style=Regular", "file"], capture_output=True, text=True, check=False)
    for line in listed.stdout.splitlines():
        return line.split(":")[0].strip()
    raise FileNotFoundError("the OCR-B font is missing: apt-get install fonts-ocr-b")


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(ocr_b_path(), size)


@cache
def _label_font(size: int) -> ImageFont.FreeTypeFont:
    for candidate in (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ):
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    return _font(size)


def _mrz_font_for_pitch(pitch: float) -> ImageFont.FreeTypeFont:
    """The OCR-B size whose fixed advance is `pitch` pixels (ICAO: 10 characters per inch)."""
    size = 10
    while _font(size + 1).getlength("<") <= pitch:
        size += 1
    return _font(size)


def render_document(identity: Identity, rng: random.Random, *, width: int = 900) -> Image.Image:
    """The flat, undamaged document: a card (TD1, 85.6x54 mm) or a passport data page (TD3, 125x88 mm)."""
    lines = mrz_lines(identity)
    td1 = len(lines) == 3
    mm_width, mm_height = (85.6, 54.0) if td1 else (125.0, 88.0)
    px_per_mm = width / mm_width
    height = round(mm_height * px_per_mm)
    tint = tuple(rng.randrange(215, 250) for _ in range(3))
    page = Image.new("RGB", (width, height), tint)
    draw = ImageDraw.Draw(page)
    # Guilloche-like security print: faint waves across the page, as documents have behind their text.
    for offset in range(0, height, max(6, height // 40)):
        phase, amplitude = rng.uniform(0, 6.3), rng.uniform(3, 9)
        points = [(x, offset + amplitude * np.sin(x / 37 + phase)) for x in range(0, width, 8)]
        draw.line(points, fill=tuple(max(0, c - rng.randrange(12, 30)) for c in tint), width=1)
    label, text = _label_font(round(2.0 * px_per_mm)), _label_font(round(2.8 * px_per_mm))
    title = "REINO DE ESPAÑA · DOCUMENTO NACIONAL DE IDENTIDAD" if td1 else f"PASSPORT · {identity.nationality}"
    draw.text((4 * px_per_mm, 2.5 * px_per_mm), title, font=label, fill=(40, 40, 90))
    photo = (4 * px_per_mm, 8 * px_per_mm, 26 * px_per_mm, 37 * px_per_mm)
    draw.rectangle(photo, fill=(rng.randrange(150, 200), rng.randrange(140, 190), rng.randrange(130, 180)))
    cx = (photo[0] + photo[2]) / 2
    draw.ellipse((cx - 6 * px_per_mm, 12 * px_per_mm, cx + 6 * px_per_mm, 26 * px_per_mm), fill=(110, 90, 80))
    draw.rectangle((cx - 9 * px_per_mm, 27 * px_per_mm, cx + 9 * px_per_mm, photo[3]), fill=(60, 60, 80))
    fields = [
        ("APELLIDOS / SURNAME", identity.surnames.upper()),
        ("NOMBRE / NAME", identity.given_names.upper()),
        ("NACIMIENTO / BIRTH", identity.birth_date.strftime("%d %m %Y")),
        ("VÁLIDO HASTA / EXPIRY", identity.expiry_date.strftime("%d %m %Y")),
        ("DNI" if td1 else "PASAPORTE / PASSPORT", identity.document_number),
    ]
    y = 8 * px_per_mm
    for caption, value in fields:
        draw.text((30 * px_per_mm, y), caption, font=label, fill=(90, 60, 60))
        draw.text((30 * px_per_mm, y + 2.3 * px_per_mm), value, font=text, fill=(20, 20, 20))
        y += 5.8 * px_per_mm
    # The MRZ: OCR-B at 10 characters per inch, lines 4.23 mm apart (ICAO 9303-3), on a clear band at the bottom.
    pitch = 2.54 * px_per_mm
    font = _mrz_font_for_pitch(pitch)
    line_step = (4.0 if td1 else 4.23) * px_per_mm
    top = height - (len(lines) * line_step) - 2.2 * px_per_mm
    left = (width - pitch * len(lines[0])) / 2
    draw.rectangle((0, top - 1.5 * px_per_mm, width, height), fill=tuple(min(255, c + 6) for c in tint))
    for number, line in enumerate(lines):
        for index, char in enumerate(line):  # placed one by one: exactly the printed pitch, whatever the font's kerning
            draw.text((left + index * pitch, top + number * line_step), char, font=font, fill=(15, 15, 15))
    return page


def _capture(document: Image.Image, rng: random.Random, damage: str) -> Image.Image:
    """Photographs the document: on a table, slightly turned and tilted, unevenly lit, blurred and noisy."""
    strength = _LEVELS.index(damage)  # 0 to 3
    max_angle = (1.5, 3.0, 5.0, 7.0)[strength]
    angle = rng.uniform(-max_angle, max_angle)
    canvas_w = round(document.width * rng.uniform(1.12, 1.3))
    canvas_h = round(canvas_w * 0.75)
    table = tuple(rng.randrange(60, 160) for _ in range(3))
    photo = Image.new("RGB", (canvas_w, canvas_h), table)
    turned = document.convert("RGBA").rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    x = rng.randrange(max(1, canvas_w - turned.width)) if canvas_w > turned.width else 0
    y = rng.randrange(max(1, canvas_h - turned.height)) if canvas_h > turned.height else 0
    photo.paste(turned, (x, y), turned)
    if strength >= 1:  # a slight perspective: the phone is not held exactly parallel to the document
        d = canvas_w * (0.01 if strength == 1 else 0.025)
        quad = [rng.uniform(0, d), rng.uniform(0, d), rng.uniform(0, d), canvas_h - rng.uniform(0, d),
                canvas_w - rng.uniform(0, d), canvas_h - rng.uniform(0, d), canvas_w - rng.uniform(0, d),
                rng.uniform(0, d)]  # fmt: skip
        photo = photo.transform(photo.size, Image.Transform.QUAD, quad, Image.Resampling.BICUBIC, fillcolor=table)
    pixels = np.asarray(photo, dtype=np.float32)
    # Uneven light: a brightness gradient across the photo, and a soft highlight.
    yy, xx = np.mgrid[0:canvas_h, 0:canvas_w].astype(np.float32)
    direction = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(direction) * xx / canvas_w + np.sin(direction) * yy / canvas_h
    light = 1.0 - (0.12, 0.22, 0.32, 0.45)[strength] * (ramp - ramp.min()) / max(1e-6, float(np.ptp(ramp)))
    hx, hy = rng.uniform(0, canvas_w), rng.uniform(0, canvas_h)
    light += 0.12 * np.exp(-(((xx - hx) ** 2 + (yy - hy) ** 2) / (2 * (canvas_w / 4) ** 2)))
    pixels = pixels * light[..., None]
    pixels = np.clip(pixels, 0, 255).astype(np.uint8)
    photo = Image.fromarray(pixels).filter(
        ImageFilter.GaussianBlur(rng.uniform(*((0.3, 0.7), (0.7, 1.1), (1.0, 1.5), (1.6, 2.2))[strength]))
    )
    noisy = np.asarray(photo, dtype=np.float32)
    np_rng = np.random.default_rng(rng.randrange(2**32))
    noisy += np_rng.normal(0, (3, 6, 10, 16)[strength], noisy.shape)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def _jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def render_photo(identity: Identity, *, seed: int, damage: str = "mild") -> bytes:
    """One captured document of `identity` as JPEG bytes, reproducible from `seed`."""
    rng = random.Random(seed)
    document = render_document(identity, rng, width=rng.choice((820, 900, 1000)) if damage else 900)
    quality = rng.randrange(*((80, 92), (65, 80), (50, 65), (30, 45))[_LEVELS.index(damage)])
    return _jpeg(_capture(document, rng, damage), quality)


def _blank(rng: random.Random, index: int) -> bytes:
    size = rng.choice(((64, 40), (640, 480), (1024, 768)))
    if index % 3 == 2:  # a sensor-noise "photo of nothing"
        pixels = np.random.default_rng(rng.randrange(2**32)).normal(128, 30, (size[1], size[0], 3))
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    else:
        image = Image.new("RGB", size, "white" if index % 3 == 0 else tuple(rng.randrange(256) for _ in range(3)))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _non_document(rng: random.Random, index: int) -> bytes:
    """Shapes and ordinary text, some of it in OCR-B and in long capital runs, like a receipt or a poster."""
    image = Image.new("RGB", (1000, 750), tuple(rng.randrange(150, 256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        box = sorted(rng.sample(range(1000), 2)), sorted(rng.sample(range(750), 2))
        shape = (box[0][0], box[1][0], box[0][1], box[1][1])
        colour = tuple(rng.randrange(256) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(shape, fill=colour)
    words = ["TOTAL", "IVA", "EUROS", "CAFE", "TICKET", "GRACIAS", "MADRID", "HORARIO", "ABIERTO", "SALIDA", "1234",
             "2026", "PAGO", "TARJETA", "NUM", "REF"]  # fmt: skip
    font = _font(26) if index % 2 else _label_font(26)
    for row in range(8):
        text = " ".join(rng.choice(words) for _ in range(rng.randrange(3, 7)))
        if index % 3 == 0 and row % 2:  # look-alike lines: capitals, digits and '<' runs of MRZ length
            text = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<<<<") for _ in range(30))
        draw.text((40, 60 + row * 80), text, font=font, fill=(10, 10, 10))
    return _jpeg(image.filter(ImageFilter.GaussianBlur(0.6)), 80)


def build_corpus(
    seed: int = SEED,
    genuine: int = GENUINE_COUNT,
    negatives: int = NEGATIVES_PER_KIND,
    damage_levels: tuple[str, ...] = DAMAGE_LEVELS,
) -> list[CorpusEntry]:
    """The corpus: `genuine` documents (half DNI, half passports, damage levels in turn) and the negatives."""
    rng = random.Random(seed)
    entries = []
    people = []
    for index in range(genuine):
        if index % 2 == 0:
            identity = random_identity(rng, "NIF")
        else:
            state = _PASSPORT_STATES[(index // 2) % len(_PASSPORT_STATES)]
            identity = random_identity(rng, "PASSPORT", nationality=state)
        damage = damage_levels[(index // 2) % len(damage_levels)]
        image = render_photo(identity, seed=rng.randrange(2**32), damage=damage)
        kind = "dni" if identity.document_type == "NIF" else "passport"
        entries.append(CorpusEntry(f"genuine-{index:02d}-{kind}-{damage}", "genuine", damage, image, identity,
                                   identity, mrz_lines(identity)))  # fmt: skip
        people.append(identity)
    for index in range(negatives):
        entries.append(CorpusEntry(f"blank-{index:02d}", "blank", "", _blank(rng, index), None, None, None))
        entries.append(
            CorpusEntry(f"non-document-{index:02d}", "non_document", "", _non_document(rng, index), None, None, None)
        )
        # Swapped: person A's genuine document, presented with the identity of B (same document type).
        shown = random_identity(rng, "NIF" if index % 2 == 0 else "PASSPORT", "ESP")
        claimed = random_identity(rng, shown.document_type, shown.nationality)
        image = render_photo(shown, seed=rng.randrange(2**32), damage="mild")
        entries.append(CorpusEntry(f"swapped-{index:02d}", "swapped", "mild", image, shown, claimed, mrz_lines(shown)))
    return entries


def write_corpus(out: Path, entries: list[CorpusEntry]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    index = []
    for entry in entries:
        suffix = "png" if entry.image.startswith(b"\x89PNG") else "jpg"
        (out / f"{entry.name}.{suffix}").write_bytes(entry.image)
        index.append({"name": entry.name, "file": f"{entry.name}.{suffix}", "kind": entry.kind, "damage": entry.damage,
                      "mrz": entry.mrz, "document": entry.document.as_json() if entry.document else None,
                      "declared": entry.declared.as_json() if entry.declared else None})  # fmt: skip
    (out / "index.json").write_text(json.dumps(index, indent=1, ensure_ascii=False) + "\n")


def write_sample(path: Path = SAMPLE_PATH) -> bytes:
    """The walkthrough's DNI: the README's passing identity, mildly damaged, as a JPEG under 200 KB."""
    assert mrz_lines(SAMPLE_IDENTITY) == SAMPLE_MRZ
    image = render_photo(SAMPLE_IDENTITY, seed=SEED, damage="mild")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(image)
    return image


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="folder for the images and index.json")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--sample", action="store_true", help=f"write the walkthrough sample to {SAMPLE_PATH}")
    args = parser.parse_args(argv)
    if args.sample:
        print(f"{SAMPLE_PATH}: {len(write_sample())} bytes")
    if args.out:
        entries = build_corpus(args.seed)
        write_corpus(args.out, entries)
        print(f"{len(entries)} images in {args.out}")
    if not (args.sample or args.out):
        parser.error("give --out DIR and/or --sample")


if __name__ == "__main__":
    main()
