"""Settings for the test suite: the real settings, with a throwaway key and a fast password hasher."""

import os

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-that-is-long-enough-for-django-checks-0123456789")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# The rate limiter counts in the production store: Redis when RATELIMIT_CACHE_URL is set (CI sets it), else the
# database table. The query-budget tests expect its statement accordingly (tests/conftest.py, RATE_LIMIT_VERBS).
# Tasks run inside the test (tests that assert a scheduled retry switch to the dummy backend); receivers are local.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# The tests' HTTP receivers listen on 127.0.0.1 over http; the tests of the refusals set this back to False.
WEBHOOKS_ALLOW_PRIVATE_URLS = True
