"""gunicorn's access log with control characters escaped (`logger_class` in config/gunicorn.conf.py).

gunicorn writes the percent-decoded path as it is: `/healthz%0d%0a...` would start a second, forged line in the
log, and `%1b` would send terminal escapes to whoever reads it. Like nginx's access log, every character outside
printable ASCII, the double quote and the backslash become `\\xHH` (`\\uHHHH` above 0xff), so one request is one
line and quoted fields stay quoted.
"""

import re

from gunicorn.glogging import Logger

_UNSAFE = re.compile(r'[^\x20-\x7e]|["\\]')


def _escape_character(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape(value):
    return _UNSAFE.sub(_escape_character, value) if isinstance(value, str) else value


class EscapingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        return {name: escape(value) for name, value in super().atoms(resp, req, environ, request_time).items()}
