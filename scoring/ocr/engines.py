"""The OCR engines, loaded once per process.

rapidocr (Apache-2.0; PP-OCR's ONNX models ship inside its wheel, nothing is downloaded) finds text lines and reads
them; Debian's Tesseract, through pytesseract, re-reads the MRZ band when rapidocr's reading does not pass the
check digits. Both are limited to one thread: the service runs one worker process per core, and threads inside
each would only fight over the same cores.
"""

import os
import shutil
import threading
from typing import Any

import numpy as np

# Tesseract's OpenMP threads make it several times slower when processes share the cores.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

_THREADS = int(os.environ.get("MRZ_OCR_THREADS", "1"))
# Detection runs on the photo scaled to this longest side: detection is most of a read's time and grows with the
# area (640 px cost 0.47 s of CPU per photo, 512 px 0.27 s, same recall on the corpus). MRZ characters stay ~6 px
# tall when the document fills most of the frame, as identity photos do; the lines are then read from the photo
# at up to 1600 px.
DETECTION_SIDE = 512
_TESSERACT_CONFIG = "--psm 6 -c tessedit_char_whitelist=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"

_lock = threading.Lock()
# RapidOCR keeps each call's flags (use_det, use_rec) on the instance: two threads calling it at once could run
# detection with the other's flags. Calls are serialized; a worker process reads one image at a time anyway.
_call_lock = threading.Lock()
_engine: Any = None


def rapidocr() -> Any:
    """The process's RapidOCR instance, created on first use (the models take ~1 s to load)."""
    global _engine
    if _engine is None:
        with _lock:
            if _engine is None:
                from rapidocr import RapidOCR  # imported here: importing it costs what loading does

                engine = RapidOCR(
                    params={
                        "Global.log_level": "critical",
                        # The text-direction classifier turns some MRZ lines upside down; MRZ lines are never vertical.
                        "Global.use_cls": False,
                        "Global.use_vertical_padding": False,
                        "Det.limit_type": "max",
                        "Det.limit_side_len": DETECTION_SIDE,
                        "EngineConfig.onnxruntime.intra_op_num_threads": _THREADS,
                        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                    }
                )
                # Run once on a tiny image so the first real read does not pay for the session's lazy set-up.
                blank = np.full((48, 320, 3), 255, dtype=np.uint8)
                engine(blank, use_det=True, use_cls=False, use_rec=True)
                _engine = engine
    return _engine


def detect(image: np.ndarray) -> list[np.ndarray]:
    """Text-line boxes (4 corner points each, float32) on `image`."""
    engine = rapidocr()
    with _call_lock:  # every flag on every call, under the lock: RapidOCR keeps the last call's flags
        result = engine(image, use_det=True, use_cls=False, use_rec=False)
    boxes = getattr(result, "boxes", None)
    return [] if boxes is None else [np.asarray(box, dtype=np.float32) for box in boxes]


def recognize(crops: list[np.ndarray]) -> list[str]:
    """The text of each line image."""
    engine = rapidocr()
    texts = []
    for crop in crops:
        with _call_lock:
            result = engine(crop, use_det=False, use_cls=False, use_rec=True)
        txts = getattr(result, "txts", None) or ("",)
        texts.append(txts[0])
    return texts


def tesseract_available() -> bool:
    return shutil.which("tesseract") is not None


def tesseract_lines(image: np.ndarray) -> list[str]:
    """Tesseract's lines of an MRZ band (its English model reads '<' as K, E or X now and then)."""
    import pytesseract

    text = pytesseract.image_to_string(image, config=_TESSERACT_CONFIG, timeout=10)
    return [line.replace(" ", "") for line in text.splitlines() if line.strip()]
