"""PLACEHOLDER for the OCR reader of the machine-readable zone (the lead replaces it with the real one at merge)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class MrzReading:
    lines: tuple[str, ...] | None  # ICAO 9303 lines (TD1 3x30 / TD3 2x44) passing every check digit, else None
    problem: str | None  # why nothing was read; never personal data


def read_mrz(image: bytes) -> MrzReading:
    return MrzReading(None, "no machine-readable zone was found on the image")


def warm_up() -> None: ...
