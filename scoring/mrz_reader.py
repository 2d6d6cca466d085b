"""Reads the machine-readable zone (ICAO 9303 TD1 or TD3) off a photo of an identity document.

    reading = read_mrz(jpeg_bytes)
    reading.lines    # ("IDESP...", "...", "...") passing every check digit, or None
    reading.problem  # why nothing was read (None when lines is set); never quotes the document

How: rapidocr finds the text lines on the photo (scaled down), the long lines are cut out of the full-size photo and
read twice (two slightly different cuts), and the MRZ-looking ones are repaired conservatively (scoring.ocr.repair)
against the check digits. When that gives nothing, Tesseract reads the whole MRZ band as a third opinion. A read is
returned only when exactly one MRZ passes and its names line (which no check digit covers) was read alike twice.
Check digits cover neither the names nor the nationality, and some letter/digit pairs (G/6) weigh the same in
them: the caller must still cross-check the read against the declared identity.

Models load once per process (`warm_up()`); one thread per process (scoring.ocr.engines).
"""

import io
import itertools
import logging
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from scoring.ocr import engines
from scoring.ocr.repair import names_line, repair

logger = logging.getLogger(__name__)

PROBLEM_UNDECODABLE = "the image could not be decoded"
PROBLEM_NOT_FOUND = "no machine-readable zone was found on the image"
PROBLEM_UNREADABLE = "the machine-readable zone could not be read reliably"

# Evidence is capped at 40 megapixels by the API; this guards direct callers against decompression bombs.
MAX_PIXELS = 50_000_000
# Lines are read from the photo scaled to this longest side: enough pixels per OCR-B character on a phone photo
# of a card, and a bounded cost for a 12-megapixel one.
READING_SIDE = 1600
# An MRZ line is at least ~10 times longer than tall (TD1: 30 characters of 2.54 mm, 3 mm tall).
MIN_LINE_RATIO = 8.0
MAX_LINES_READ = 8
# Lengths of an OCR'd MRZ line worth trying (one character lost or gained).
_TD1_LENGTHS = range(29, 32)
_TD3_LENGTHS = range(43, 46)

# Look-alikes that OCR models trained on many scripts return for MRZ characters (named, not pasted, so that the
# source shows which is which).
_GREEK = {"ALPHA": "A", "BETA": "B", "EPSILON": "E", "ZETA": "Z", "ETA": "H", "IOTA": "I", "KAPPA": "K", "MU": "M",
          "NU": "N", "OMICRON": "O", "RHO": "P", "TAU": "T", "UPSILON": "Y", "CHI": "X"}  # fmt: skip
_CYRILLIC = {"A": "A", "VE": "B", "IE": "E", "KA": "K", "EM": "M", "EN": "H", "O": "O", "ER": "P", "ES": "C", "TE": "T",
             "HA": "X", "U": "Y"}  # fmt: skip
_CONFUSABLES = str.maketrans(
    {
        **{unicodedata.lookup(f"GREEK CAPITAL LETTER {name}"): latin for name, latin in _GREEK.items()},
        **{unicodedata.lookup(f"CYRILLIC CAPITAL LETTER {name}"): latin for name, latin in _CYRILLIC.items()},
        "\N{LEFT-POINTING DOUBLE ANGLE QUOTATION MARK}": "<<",
        "\N{SINGLE LEFT-POINTING ANGLE QUOTATION MARK}": "<",
        "\N{LEFT ANGLE BRACKET}": "<",
        "\N{HIRAGANA LETTER KU}": "<",
        "\N{BOPOMOFO LETTER Q}": "<",
    }
)
_MRZ_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<")


@dataclass(frozen=True)
class MrzReading:
    lines: tuple[str, ...] | None  # the MRZ as ICAO 9303 lines (TD1 3x30 or TD3 2x44) passing EVERY check digit
    problem: str | None  # why nothing was read, None when lines is set; never quotes personal data


@dataclass(frozen=True)
class _Line:
    box: np.ndarray  # 4 corner points on the reading image
    texts: tuple[str, ...]  # readings of the line, normalized to the MRZ alphabet

    @property
    def centre_y(self) -> float:
        return float(self.box[:, 1].mean())


def warm_up() -> None:
    """Loads the OCR models into this process (idempotent; about a second the first time)."""
    engines.rapidocr()


def read_mrz(image: bytes) -> MrzReading:
    """The MRZ of a PNG or JPEG photo, or why there is none. Never raises for a bad image."""
    try:
        photo = _decode(image)
    except Exception:  # Pillow raises a dozen types for broken, truncated or hostile files
        return MrzReading(lines=None, problem=PROBLEM_UNDECODABLE)
    try:
        return _read(photo)
    except Exception:
        # An OCR failure on one odd image must not fail the attempt with a 5xx; the traceback holds no image data.
        logger.exception("mrz_reader: OCR failed on an image")
        return MrzReading(lines=None, problem=PROBLEM_UNREADABLE)


def _decode(data: bytes) -> np.ndarray:
    """BGR pixels, upright (EXIF orientation applied), longest side at most READING_SIDE."""
    with Image.open(io.BytesIO(data)) as opened:
        if opened.format not in ("PNG", "JPEG"):
            raise ValueError("not a PNG or JPEG image")
        if opened.width * opened.height > MAX_PIXELS:
            raise ValueError("too many pixels")
        # JPEG can decode at 1/2, 1/4, 1/8 scale directly: a 12-megapixel photo costs a fraction to open.
        opened.draft("RGB", (READING_SIDE, READING_SIDE))
        upright = ImageOps.exif_transpose(opened).convert("RGB")
    upright.thumbnail((READING_SIDE, READING_SIDE), Image.Resampling.LANCZOS)
    return np.ascontiguousarray(np.asarray(upright)[:, :, ::-1])


def _read(photo: np.ndarray) -> MrzReading:
    lines = [line for line in _first_readings(photo) if _mrz_like(line.texts[0])]
    if not lines:
        return MrzReading(lines=None, problem=PROBLEM_NOT_FOUND)
    lines.sort(key=lambda line: line.centre_y)
    # No check digit covers the names: their line is accepted only when two readings of it agree, so every read
    # takes a second look (about a tenth of a second for the two or three lines).
    lines = _reread(photo, lines)
    found = _accept(lines)
    if found is None and engines.tesseract_available():
        lines = _with_tesseract(photo, lines)
        found = _accept(lines, fillers_misread=True)
    if found is None:
        return MrzReading(lines=None, problem=PROBLEM_UNREADABLE)
    return MrzReading(lines=found, problem=None)


def _first_readings(photo: np.ndarray) -> list[_Line]:
    boxes = [box for box in engines.detect(photo) if _ratio(box) >= MIN_LINE_RATIO]
    boxes.sort(key=_width, reverse=True)
    boxes = boxes[:MAX_LINES_READ]
    texts = engines.recognize([_crop(photo, box) for box in boxes])
    return [_Line(box=box, texts=(normalize(text),)) for box, text in zip(boxes, texts, strict=True)]


def _reread(photo: np.ndarray, lines: list[_Line]) -> list[_Line]:
    """A second reading of each line from a slightly taller cut: CTC models drop or merge different characters
    when the line sits differently in its image."""
    texts = engines.recognize([_crop(photo, line.box, grow=0.1) for line in lines])
    return [_Line(box=line.box, texts=(*line.texts, normalize(text))) for line, text in zip(lines, texts, strict=True)]


def _with_tesseract(photo: np.ndarray, lines: list[_Line]) -> list[_Line]:
    """Tesseract's reading of the band holding the MRZ-looking lines, added line by line to rapidocr's readings (so
    a line one engine gets right can complete the other's)."""
    points = np.concatenate([line.box for line in lines])
    band = _crop(photo, _min_area_quad(points), grow=0.2)
    texts = [normalize(text) for text in engines.tesseract_lines(band)]
    texts = [text for text in texts if len(text) >= 20]
    if len(texts) != len(lines):
        return lines
    return [_Line(box=line.box, texts=(*line.texts, text)) for line, text in zip(lines, texts, strict=True)]


def _windows(lines: Sequence[_Line]) -> Iterable[Sequence[_Line]]:
    """Runs of 3 TD1-long or 2 TD3-long lines, top to bottom."""
    for size, lengths in ((3, _TD1_LENGTHS), (2, _TD3_LENGTHS)):
        for start in range(len(lines) - size + 1):
            window = lines[start : start + size]
            if all(len(line.texts[0]) in lengths for line in window):
                yield window


def _accept(lines: Sequence[_Line], *, fillers_misread: bool = False) -> tuple[str, ...] | None:
    """The one MRZ the lines' readings repair to with its names line read alike twice; None when there is none, or
    when two such MRZs disagree."""
    found = set()
    for window in _windows(lines):
        names_at = 2 if len(window) == 3 else 0
        for combination in itertools.product(*(line.texts for line in window)):
            repaired = repair(combination, fillers_misread=fillers_misread)
            if repaired is None:
                continue
            length = len(repaired[0])
            readings = [names_line(text, length, fillers_misread=fillers_misread) for text in window[names_at].texts]
            if readings.count(repaired[names_at]) >= 2:
                found.add(repaired)
    return found.pop() if len(found) == 1 else None


def normalize(text: str) -> str:
    """OCR output in the MRZ alphabet: look-alikes mapped, spaces and foreign characters dropped."""
    text = unicodedata.normalize("NFKC", text).upper().translate(_CONFUSABLES)
    return "".join(char for char in text if char in _MRZ_ALPHABET)


def _mrz_like(text: str) -> bool:
    return len(text) in _TD1_LENGTHS or len(text) in _TD3_LENGTHS


def _width(box: np.ndarray) -> float:
    return float(max(np.linalg.norm(box[0] - box[1]), np.linalg.norm(box[2] - box[3])))


def _height(box: np.ndarray) -> float:
    return float(max(np.linalg.norm(box[0] - box[3]), np.linalg.norm(box[1] - box[2])))


def _ratio(box: np.ndarray) -> float:
    return _width(box) / max(1.0, _height(box))


def _min_area_quad(points: np.ndarray) -> np.ndarray:
    import cv2

    quad = cv2.boxPoints(cv2.minAreaRect(points.astype(np.float32)))
    # Order: top-left, top-right, bottom-right, bottom-left (by angle around the centre, starting top-left).
    centre = quad.mean(axis=0)
    angles = np.arctan2(quad[:, 1] - centre[1], quad[:, 0] - centre[0])
    ordered = quad[np.argsort(angles)]  # from -pi: top-left first for a near-horizontal band
    return ordered.astype(np.float32)


def _crop(photo: np.ndarray, box: np.ndarray, *, grow: float = 0.0) -> np.ndarray:
    """The deskewed cut of a (near-horizontal) box, grown by `grow` of its height above and below."""
    from rapidocr.utils.process_img import get_rotate_crop_image

    points = box.astype(np.float32).copy()
    if grow:
        down = (points[3] - points[0] + points[2] - points[1]) / 2
        points[0] -= down * grow
        points[1] -= down * grow
        points[2] += down * grow
        points[3] += down * grow
        height, width = photo.shape[:2]
        points[:, 0] = points[:, 0].clip(0, width - 1)
        points[:, 1] = points[:, 1].clip(0, height - 1)
    return get_rotate_crop_image(photo, points)
