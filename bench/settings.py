"""Settings of the benchmark: the production settings plus the ceiling views (bench/urls.py), nothing else.

The driver (bench/run.py) sets the environment (DEBUG=false, SECRET_KEY, DATABASE_URL of the `bench` database,
CONN_MAX_AGE, ...) before this module is imported, exactly as a production deployment would.
"""

from config.settings import *  # noqa: F403
from config.settings import BASE_DIR, REST_FRAMEWORK

ROOT_URLCONF = "bench.urls"

# collectstatic writes here (not into the project's staticfiles/), with the same manifest lookups per request
# as production; whitenoise's compression is skipped because it only costs collectstatic time.
STATIC_ROOT = BASE_DIR / "bench" / "out" / "static"
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}

# A load test is not an abuse: lift any API rate limit far above what one machine can send.
_HIGH_RATE = 10**9
if "API_RATE_LIMIT" in globals():
    _current = globals()["API_RATE_LIMIT"]
    if isinstance(_current, str) and "/" in _current:
        API_RATE_LIMIT = f"{_HIGH_RATE}/{_current.split('/', 1)[1]}"
    elif isinstance(_current, int | float):
        API_RATE_LIMIT = _HIGH_RATE
if REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES"):
    REST_FRAMEWORK = {
        **REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            scope: (f"{_HIGH_RATE}/{rate.split('/', 1)[1]}" if isinstance(rate, str) and "/" in rate else rate)
            for scope, rate in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].items()
        },
    }
