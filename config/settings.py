"""Settings, read from the environment (12-factor) through django-environ.

A `.env` file in the project folder is read when present (`make run` writes one with a random SECRET_KEY).
Every boolean accepts only true/false-like values, so a typo fails loudly instead of silently meaning False.
"""

from pathlib import Path

import environ
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def env_bool(name: str, default: bool) -> bool:
    raw = env.str(name, default=str(default)).strip().lower()
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # Development only: a key that is obviously not a secret, never used with DEBUG off.
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # django.contrib.admin with the back office's own AdminSite (titles, dashboard) as the default site.
    "identifications.back_office.BackOfficeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    # Swagger UI's files, served from our own static files: no CDN, works offline, covered by the CSP below.
    "drf_spectacular_sidecar",
    # The Content-Security-Policy header (CONTENT_SECURITY_POLICY below); Django 5.2 has none built in.
    "csp",
    "django_countries",
    # Needed for its abstract key model; its own concrete APIKey model is unused (hidden from the admin).
    "rest_framework_api_key",
    # Locks the admin login after repeated failures (AXES_* below).
    "axes",
    # The background worker (`manage.py db_worker`): Django's tasks framework with its database queue.
    "django_tasks",
    "django_tasks_db",
    "identifications",
    "scoring",
]

MIDDLEWARE = [
    "identifications.api.http.middleware.RequestIDMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Picks each request's language from its Accept-Language header (English when absent or unsupported): the
    # admin follows the browser, the API's error messages follow the client's header.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires: turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite in the project folder by default (absolute, so it does not depend on the working directory);
# PostgreSQL in production: DATABASE_URL=postgres://user@host:5432/name
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Persistent connections (each gunicorn sync worker keeps one): opening a PostgreSQL connection per request halved
# create's throughput in `make bench` (BENCHMARKS.md). The health check replaces one that the server dropped.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a concurrent writer (up to 20 s) instead of failing at once with "database is locked".
    # IMMEDIATE transactions take the write lock up front, so a read-then-write transaction cannot be
    # overtaken by another writer between its read and its write; WAL lets readers run beside the writer.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        **DATABASES["default"].get("OPTIONS", {}),
    }
if "postgresql" in DATABASES["default"]["ENGINE"]:
    # libpq waits forever for a database host that accepts connections and never answers: each request would hang
    # until gunicorn kills its worker, and the client would get no answer instead of a 503 (tests/reliability).
    # A `?connect_timeout=` in DATABASE_URL wins.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
# The API's rate-limit counters must be shared by every app-server process. Production: Redis, with
# RATELIMIT_CACHE_URL=redis://127.0.0.1:6379/1 (README, "Deploying"): Django's RedisCache (a subclass that counts in
# one round trip), an atomic INCR and no database statement. Without it, a database table that `migrate` creates,
# counted with one upsert statement per request (identifications.api.http.throttling.RateLimitDatabaseStore).
CACHES["ratelimit"] = (
    env.cache("RATELIMIT_CACHE_URL")
    if env.str("RATELIMIT_CACHE_URL", default="")
    else {"BACKEND": "identifications.api.http.throttling.RateLimitDatabaseStore", "LOCATION": "ratelimit_counter"}
)
if CACHES["ratelimit"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["ratelimit"]["BACKEND"] = "identifications.api.http.throttling.RateLimitRedisCache"
# Requests per API key (or per holder's identification) per fixed window: "N/second|minute|hour|day".
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="600/minute")

# Reverse proxies in front of gunicorn whose X-Forwarded-For entry is trusted for the client's address: 0 (the
# default) uses the connection's address; 1 for the documented nginx on the same host (deploy/). More than the real
# number lets clients choose their address; fewer makes the proxy's address everyone's.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured(f"TRUSTED_PROXY_COUNT must be 0 or more, not {TRUSTED_PROXY_COUNT}.")

# Admin login brute force: 5 failures for one username from one address lock that pair out for 15 minutes, even
# with the right password. The first backend checks the lockout; it lets request-less authenticate() calls through.
AUTHENTICATION_BACKENDS = [
    "identifications.login_protection.AxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_MINUTES", default=15) / 60  # hours, as django-axes reads a number
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The address is the real client's behind the proxy (TRUSTED_PROXY_COUNT), so the pair is the stranger's, not the
# proxy's: a stranger's failures never lock the staff member out from their own address.
AXES_CLIENT_IP_CALLABLE = "identifications.client_address.client_address"
AXES_RESET_ON_SUCCESS = True
# Attempts during the lock don't extend it: it ends 15 minutes after it began.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# django-axes' own message, word for word, marked here because django-axes ships no Spanish.
AXES_COOLOFF_MESSAGE = _("Account locked: too many login attempts. Please try again later.")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# The languages of locale/ (Django, DRF and django-countries ship their own Spanish); `makemessages -l es` and
# `compilemessages` update the catalogue, and tests/test_translations.py fails while it is incomplete.
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Development and tests serve static files from the apps' folders; production from collectstatic's STATIC_ROOT.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Evidence images are identity documents: readable by the service's user only, whatever the process umask. Django
# chmods each saved file to this (FileSystemStorage creates it with 0o666 & ~umask first, then chmods) and creates
# missing folders under MEDIA_ROOT (MEDIA_ROOT too) with the folder mode.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# Largest API request body accepted; larger ones are 413 request_too_large.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=64 * 1024)
# Largest evidence image accepted by validate (decoded bytes), and the body limit of that endpoint (base64 is 4/3).
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=5 * 1024 * 1024)
# Largest evidence image in pixels (width x height, as its header declares): a tiny file can declare a decompression
# bomb. 40 megapixels passes any phone camera's photo (a 48 MP sensor saves 12 MP by default).
EVIDENCE_MAX_PIXELS = env.int("EVIDENCE_MAX_PIXELS", default=40_000_000)
API_MAX_VALIDATE_BODY_BYTES = env.int("API_MAX_VALIDATE_BODY_BYTES", default=EVIDENCE_MAX_BYTES * 4 // 3 + 64 * 1024)
# EXTERNAL scoring: how long the organization's service may take (per try, on the worker) before the try fails.
EXTERNAL_SCORING_TIMEOUT_SECONDS = env.float("EXTERNAL_SCORING_TIMEOUT_SECONDS", default=5.0)
# A provider failing every try this long after validate ends the attempt as scoring_provider_unavailable (not
# counted; the holder may validate again). The worker retries after about 5 s, 30 s, 2 min, then every 5 min.
SCORING_PROVIDER_GIVE_UP_AFTER_SECONDS = env.int("SCORING_PROVIDER_GIVE_UP_AFTER_SECONDS", default=15 * 60)
# A worker holds an attempt this long while scoring it; past it (the worker died) the sweeper hands it to another.
# Longer than one try can take (twice EXTERNAL_SCORING_TIMEOUT_SECONDS, or reading the image).
SCORING_ATTEMPT_LEASE_SECONDS = env.int("SCORING_ATTEMPT_LEASE_SECONDS", default=60)
# Outbound calls to staff-chosen URLs (EXTERNAL scoring, webhooks) go only to https and public addresses; true lifts
# both rules, for development and tests with receivers on this machine (identifications/outbound.py).
WEBHOOKS_ALLOW_PRIVATE_URLS = env_bool("WEBHOOKS_ALLOW_PRIVATE_URLS", False)
# How often an API key's `last_used_at` is written: a write on every request would double the queries.
API_KEY_LAST_USED_RESOLUTION_SECONDS = env.int("API_KEY_LAST_USED_RESOLUTION_SECONDS", default=60)
# How long an API key's row (with its organization) is cached per process, so that most requests authenticate
# without a query; a revoked key keeps working at most this long in other processes unless the cache is shared
# (identifications/selectors/api_keys.py).
API_KEY_CACHE_SECONDS = env.int("API_KEY_CACHE_SECONDS", default=5)
# How long rarely-changing reference rows (document types, configurations) are cached per process.
REFERENCE_CACHE_SECONDS = env.int("REFERENCE_CACHE_SECONDS", default=60)

# The background worker's queue (django-tasks): `manage.py db_worker` runs what is enqueued here. Any number of
# workers on any number of machines can share one PostgreSQL queue (README "Workers").
TASKS = {"default": {"BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")}}
# Webhooks (README "Events and webhooks"). Private/loopback endpoint URLs and plain http are for development only.
WEBHOOKS_ALLOW_PRIVATE_URLS = env_bool("WEBHOOKS_ALLOW_PRIVATE_URLS", False)
# One delivery attempt may take this long in total (connect, headers and body) before it counts as failed.
WEBHOOKS_DELIVERY_DEADLINE_SECONDS = env.float("WEBHOOKS_DELIVERY_DEADLINE_SECONDS", default=10.0)
# A worker holds a delivery this long; past it (the worker died) the sweeper hands the delivery to another worker.
WEBHOOKS_DELIVERY_LEASE_SECONDS = env.int("WEBHOOKS_DELIVERY_LEASE_SECONDS", default=60)
# An endpoint failing without a single success for this long is disabled (staff see why in the admin).
WEBHOOKS_DISABLE_AFTER_HOURS = env.float("WEBHOOKS_DISABLE_AFTER_HOURS", default=72)
# purge_events deletes events (and their deliveries and attempts) older than this.
EVENTS_RETENTION_DAYS = env.int("EVENTS_RETENTION_DAYS", default=30)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["identifications.api.http.authentication.BearerAPIKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["identifications.api.http.permissions.CredentialMayAccess"],
    "DEFAULT_PARSER_CLASSES": ["identifications.api.http.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "identifications.api.http.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%SZ",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Identity-document identification API",
    "DESCRIPTION": "Open, oversee and close identity-document identifications.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/v1",
    # Swagger UI from drf-spectacular-sidecar's static files, not a CDN (api/urls.py serves its settings as a
    # script file, so that the page needs no inline script under the Content-Security-Policy).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No validator badge: Swagger UI would load it from validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "ENUM_NAME_OVERRIDES": {},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "identifications.api.http.middleware.RequestIDLogFilter"},
        # Masks document numbers, API keys and client secrets, should any code ever log one.
        "mask_secrets": {"()": "identifications.log_masking.MaskSecretsFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [request_id=%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id", "mask_secrets"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # The request line of a failed request is logged by our own handler, with the request id.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "INFO"},
    },
}

# Content-Security-Policy on every response (django-csp): the admin and Swagger UI load scripts, styles, images and
# fonts only from this origin and run no inline script, so injected markup cannot run code or send data elsewhere.
# Inline style attributes stay allowed: Swagger UI sets them from its own scripts, and they cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_NONE],
        "script-src": [CSP_SELF],
        "style-src": [CSP_SELF, "'unsafe-inline'"],
        "img-src": [CSP_SELF, "data:"],
        "font-src": [CSP_SELF],
        "connect-src": [CSP_SELF],
        "form-action": [CSP_SELF],
        "frame-ancestors": [CSP_NONE],
        "base-uri": [CSP_NONE],
    }
}

# Production hardening; `manage.py check --deploy` is clean with DEBUG off.
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
