"""Operators' commands. Their messages are marked for translation like the rest of the service and follow the
active language: from a shell or cron nothing is active, so they print in LANGUAGE_CODE (English, "en"); a caller
that activates a language (call_command inside translation.override("es")) gets that language
(tests/test_translations.py). Set LANGUAGE_CODE, not the shell's LANG, to change what cron logs read."""
