"""A log filter that masks document numbers, API keys and client secrets in every record it sees.

Defence in depth: the code already avoids logging them, but a third-party library, an exception message or a
future `logger.info("... %s", request.data)` could. Attached to the console handler in config/settings.py.
"""

import logging
import re

MASK = "[REDACTED]"

PATTERNS = [
    # Client secrets: idsec_ and 43 URL-safe base64 characters (any length, in case the format grows).
    (re.compile(r"idsec_[A-Za-z0-9_\-]+"), "idsec_" + MASK),
    # API keys: an 8-character prefix, a dot and a 32-character secret. The prefix is not secret (it names the key
    # in the admin and in revoke_api_key), so it stays to keep the log useful.
    (re.compile(r"\b([A-Za-z0-9]{8})\.[A-Za-z0-9]{32}\b"), r"\1." + MASK),
    # Spanish NIE: X, Y or Z, 7 digits and a letter, with or without separators.
    (re.compile(r"\b[XYZxyz][ -]?\d{7}[ -]?[A-Za-z]\b"), MASK),
    # Spanish NIF (DNI): 8 digits and a letter, with or without a separator.
    (re.compile(r"\b\d{8}[ -]?[A-Za-z]\b"), MASK),
]


def mask(text: str) -> str:
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class MaskSecretsFilter(logging.Filter):
    """Formats the message with its arguments, masks it, and masks the traceback text too.

    The record is rewritten (msg formatted, args emptied) rather than each argument masked, because an argument can
    be any object whose str() quotes the data, an exception for instance.
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed logging call must still be logged, masked
            message = f"{record.msg!s} {record.args!s}"
        record.msg, record.args = mask(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        return True
