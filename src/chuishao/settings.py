"""Django settings: one module, configured from the environment.

SQLite (WAL) under ``var/`` is the embedded default; ``DATABASE_URL`` selects PostgreSQL.
"""

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from huey import RedisHuey, SqliteHuey

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("CHUISHAO_VAR", Path.cwd() / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = os.environ.get("CHUISHAO_DEBUG", "0") == "1"
# The development key only ever serves the demo; production refuses to start without its own.
SECRET_KEY = os.environ.get("CHUISHAO_SECRET_KEY") or "chuishao-insecure-demo-key-never-in-production"
ALLOWED_HOSTS = [
    h for h in os.environ.get("CHUISHAO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h
]

# Behind a proxy that ends TLS (docs/deployment.md): trust its X-Forwarded-Proto, so that Django knows
# the request was HTTPS (CSRF's origin check, secure redirects). Only set where the proxy sets the header.
if os.environ.get("CHUISHAO_BEHIND_PROXY", "0") == "1":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Served over HTTPS (directly or through CHUISHAO_BEHIND_PROXY): cookies only travel over TLS, HTTP is
# redirected and browsers are told to use HTTPS only (HSTS). Off by default: the demo serves plain
# http://127.0.0.1 with DEBUG off and must keep its sign-in working.
CHUISHAO_HTTPS = os.environ.get("CHUISHAO_HTTPS", "0") == "1"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = CHUISHAO_HTTPS
SECURE_SSL_REDIRECT = CHUISHAO_HTTPS
# Load balancers probe over plain HTTP inside the network; a redirect would fail the probe.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = int(os.environ.get("CHUISHAO_HSTS_SECONDS", "31536000")) if CHUISHAO_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("CHUISHAO_HSTS_INCLUDE_SUBDOMAINS", "1") == "1"
# Joining the browsers' preload list binds the whole domain for months: the city's own decision.
SECURE_HSTS_PRELOAD = os.environ.get("CHUISHAO_HSTS_PRELOAD", "0") == "1"
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# A session lasts at most one long working day, and ends sooner after this many idle minutes
# (chuishao.security.middleware: the session is rewritten at most once a minute, not on every request).
SESSION_COOKIE_AGE = int(os.environ.get("CHUISHAO_SESSION_MAX_HOURS", "12")) * 3600
CHUISHAO_SESSION_IDLE_MINUTES = int(os.environ.get("CHUISHAO_SESSION_IDLE_MINUTES", "30"))
# Encrypts the second-factor (TOTP) secrets at rest; defaults to one derived from the secret key, so
# that a database dump alone does not give them away. Changing it forgets every enrolment.
CHUISHAO_TOTP_KEY = os.environ.get("CHUISHAO_TOTP_KEY") or ("totp:" + SECRET_KEY)
CHUISHAO_TOTP_ISSUER = os.environ.get("CHUISHAO_TOTP_ISSUER", "Chuishao")

# Login throttling (django-axes). Failures count per username AND address together: a guesser is
# stopped on the accounts they try, while the colleagues behind the same office NAT still sign in.
# A successful sign-in clears the count; the wrong codes of the second step count too.
# Sign-in attempts (right or wrong) one address may make a minute before 429, checked before any
# password hashing (chuishao.security.throttle); 0 turns the budget off.
CHUISHAO_LOGIN_ADDRESS_LIMIT = int(os.environ.get("CHUISHAO_LOGIN_ADDRESS_LIMIT", "60"))
AXES_FAILURE_LIMIT = int(os.environ.get("CHUISHAO_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("CHUISHAO_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "chuishao.security.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "chuishao.security.client.client_ip"
# Successful sign-ins are not logged with address and browser (personal data kept for no task).
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CHUISHAO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]
# Personal data of finished cases is anonymised this many days after closing (PIPL); 0 keeps it.
CHUISHAO_RETENTION_DAYS = int(os.environ.get("CHUISHAO_RETENTION_DAYS", "730"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "huey.contrib.djhuey",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "chuishao.geo",
    "chuishao.orgs",
    "chuishao.catalog",
    "chuishao.events",
    "chuishao.cases",
    "chuishao.notify",
    "chuishao.evaluation",
    "chuishao.engagement",
    "chuishao.gridwork",
    "chuishao.party",
    "chuishao.workforce",
    "chuishao.library",
    "chuishao.activities",
    "chuishao.campaigns",
    "chuishao.demonstration",
    "chuishao.monthly",
    "chuishao.privacy",
    "chuishao.api",
    "chuishao.web",
    "chuishao.demo",
    "chuishao.ops",  # no models: its management commands (backup, restore)
    "chuishao.security",
    "axes",
]

MIDDLEWARE = [
    # Outermost: every response, even one a later middleware answers, carries its request id and is timed.
    "chuishao.ops.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Signs out a person idle for longer than CHUISHAO_SESSION_IDLE_MINUTES.
    "chuishao.security.middleware.IdleTimeoutMiddleware",
    # Content-Security-Policy with a nonce per response (request.csp_nonce).
    "chuishao.security.middleware.ContentSecurityPolicyMiddleware",
    # Last: turns a login refused by django-axes into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "chuishao.urls"
WSGI_APPLICATION = "chuishao.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]


SQLITE_OPTIONS = {
    # Writers take the lock when the transaction begins, so a read-then-write transition
    # waits for the other writer instead of failing half-way on a stale snapshot.
    "transaction_mode": "IMMEDIATE",
    "timeout": 30,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
}


def _parse(url: str) -> dict:
    db = dj_database_url.parse(url, conn_max_age=60)
    db.setdefault("OPTIONS", {})
    if db["ENGINE"].endswith("postgresql"):
        # JIT compiles any query whose estimated cost passes 100,000: 90-230 ms per case-desk query
        # and seconds per rollup query, more than running them (docs/benchmarks.md). Off for our
        # sessions — on the primary and the replica alike — unless the URL sets options itself.
        db["OPTIONS"].setdefault("options", "-c jit=off")
    return db


def _database() -> dict:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        db = _parse(url)
        if db["ENGINE"].endswith("sqlite3"):  # a SQLite file named by URL behaves like the default one
            db["OPTIONS"] = {**SQLITE_OPTIONS, **db["OPTIONS"]}
            db["CONN_MAX_AGE"] = 0
        return db
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(VAR_DIR / "chuishao.sqlite3"),
        "OPTIONS": dict(SQLITE_OPTIONS),
        # Tests use a file too: concurrency tests need real connections from several threads.
        "TEST": {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")},
    }


DATABASES = {"default": _database()}
# A read replica, read only inside ``chuishao.dbrouting.replica_reads`` (dashboards, exports); in tests
# it mirrors the default database.
REPLICA_URL = (os.environ.get("CHUISHAO_REPLICA_URL") or os.environ.get("DATABASE_REPLICA_URL") or "").strip()
if REPLICA_URL:
    DATABASES["replica"] = {**_parse(REPLICA_URL), "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["chuishao.dbrouting.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out username+address before the password is checked. It
# abstains when authenticate() gets no request (the test client, scripts): only web logins count.
AUTHENTICATION_BACKENDS = [
    "chuishao.security.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise expects it even before the first collectstatic
# Static files are served by WhiteNoise from the app folders (no collectstatic needed for the demo).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
# A whole request body: three photos of at most 5 MiB each (cases.media) and the report's fields. The
# APIs refuse a larger body with 413 before reading it; an Idempotency-Key reads the body whole.
DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Background work (Huey): SQLite next to the database by default, Redis in production. The durable
# record is the events table; a lost queue message never loses what the events say must happen.
# ``CHUISHAO_REDIS_URL`` wins; the conventional ``REDIS_URL`` of hosting platforms works too.
REDIS_URL = (os.environ.get("CHUISHAO_REDIS_URL") or os.environ.get("REDIS_URL") or "").strip()
HUEY = (
    RedisHuey("chuishao", url=REDIS_URL)
    if REDIS_URL
    else SqliteHuey("chuishao", filename=str(VAR_DIR / "huey.sqlite3"))
)

# Rate limits count in the cache: Redis when configured (shared by every process), otherwise memory
# of the one serving process.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "chuishao"}
    )
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "chuishao.api.auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "chuishao.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Chuishao API",
    "DESCRIPTION": "Cases, whistles and reports, ratings, notifications, jurisdictions and evaluation.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Human-readable lines by default; ``CHUISHAO_LOG_FORMAT=json`` writes one JSON object per line
# (chuishao.ops.logs). ``CHUISHAO_ACCESS_LOG=1`` adds one line per request (route, method, status,
# time; never the path, query or body): ``serve --production`` turns it on instead of gunicorn's
# access log, which would write query strings.
CHUISHAO_LOG_FORMAT = os.environ.get("CHUISHAO_LOG_FORMAT", "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "chuishao.ops.logs.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "chuishao.ops.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if CHUISHAO_LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("CHUISHAO_LOG_LEVEL", "WARNING")},
    "loggers": {
        "chuishao.access": {"level": "INFO" if os.environ.get("CHUISHAO_ACCESS_LOG") == "1" else "WARNING"},
        # The worker's consumer logs what it runs at INFO. Configured here, Huey's command adds no handler
        # of its own (it did, and every line came out twice: once in its format, once in ours).
        "huey": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# /metrics answers a direct connection from loopback or from these addresses or networks
# (comma-separated, e.g. "10.0.5.0/24,192.0.2.7"), or a request with this bearer token; else 404.
CHUISHAO_METRICS_ALLOW = tuple(
    a for a in os.environ.get("CHUISHAO_METRICS_ALLOW", "").split(",") if a.strip()
)
CHUISHAO_METRICS_TOKEN = os.environ.get("CHUISHAO_METRICS_TOKEN", "")
# The database figures of /metrics (overdue cases, failed deliveries) are cached this long (seconds).
CHUISHAO_METRICS_CACHE_SECONDS = int(os.environ.get("CHUISHAO_METRICS_CACHE_SECONDS", "30"))

# --- Chuishao ---------------------------------------------------------------------------------

# Grid codes: district (GB/T 2260) + street + community + grid digits; a city may change the layout.
CHUISHAO_GRID_CODE_LAYOUT = tuple(
    int(p) for p in os.environ.get("CHUISHAO_GRID_CODE_LAYOUT", "6,3,3,3").split(",")
)
# A point closer than this to another jurisdiction's boundary is a boundary case (metres).
CHUISHAO_BOUNDARY_DISTANCE_M = float(os.environ.get("CHUISHAO_BOUNDARY_DISTANCE_M", "30"))
# A case near another jurisdiction of these kinds is a boundary case (streets whistle across them).
CHUISHAO_BOUNDARY_CASE_KINDS = tuple(
    os.environ.get("CHUISHAO_BOUNDARY_CASE_KINDS", "street,district").split(",")
)
# Import tolerances (metres / square metres): a child may stick out of its parent by this much,
# grids may overlap by at most this area, a community may leave at most this area uncovered.
CHUISHAO_IMPORT_EDGE_TOLERANCE_M = 0.5
CHUISHAO_IMPORT_OVERLAP_TOLERANCE_M2 = 1.0
CHUISHAO_IMPORT_GAP_TOLERANCE_M2 = 50.0
# Duplicate suggestion at intake: same category within this distance and time.
CHUISHAO_DUPLICATE_DISTANCE_M = 50.0
CHUISHAO_DUPLICATE_WINDOW_HOURS = 72
# A case rated unsatisfied may be reopened within this many days of closing.
CHUISHAO_REOPEN_WINDOW_DAYS = int(os.environ.get("CHUISHAO_REOPEN_WINDOW_DAYS", "30"))
# Rating an unsatisfied verdict within the reopen window reopens the case for rework by itself.
CHUISHAO_REOPEN_ON_UNSATISFIED = os.environ.get("CHUISHAO_REOPEN_ON_UNSATISFIED", "1") == "1"
# A reporter who has not rated a closed case within this many natural days is not asked any more:
# the case counts as unrated (never as satisfied).
CHUISHAO_FEEDBACK_WINDOW_DAYS = int(os.environ.get("CHUISHAO_FEEDBACK_WINDOW_DAYS", "7"))
# Share of a deadline used when the sweep turns a case yellow.
CHUISHAO_WARN_FRACTION = 0.8
# An overdue case escalates one level (community → street → district → city) at its deadline and
# again each time this much more working time passes: (amount, time type).
CHUISHAO_ESCALATION_STEP = ("1", "working_days")
# How many cases (or summonses) the sweep locks and updates per transaction.
CHUISHAO_SWEEP_BATCH = 1000
# The three rates' weights in the composite score (REFERENCE §2: 10/45/45; 30/35/35 is a local variant).
CHUISHAO_RATE_WEIGHTS = {"response": 10, "resolution": 45, "satisfaction": 45}
# The whistle rate (whistled cases per 100 filed) a street should stay within: too low, the mechanism
# idles; too high, routine channels fail (our proposal).
CHUISHAO_WHISTLE_RATE_BAND = (1.0, 10.0)
# How often a serving process checks whether boundaries changed (seconds).
CHUISHAO_ROUTING_RECHECK_SECONDS = 2.0
# Intake limits for the APIs: requests per minute per API key and per address for anonymous
# intake (answered with 429 and Retry-After), and what to do with a point outside every city:
# "accept" routes it to the city centre as unlocated, "refuse" answers 400.
CHUISHAO_INTAKE_RATE_PER_KEY = int(os.environ.get("CHUISHAO_INTAKE_RATE_PER_KEY", "600"))
CHUISHAO_INTAKE_RATE_PER_ADDRESS = int(os.environ.get("CHUISHAO_INTAKE_RATE_PER_ADDRESS", "20"))
CHUISHAO_OUTSIDE_POINTS = os.environ.get("CHUISHAO_OUTSIDE_POINTS", "accept")
# How long a response is kept for replay under its Idempotency-Key (hours).
CHUISHAO_IDEMPOTENCY_HOURS = 24
# Signs audit checkpoints; production sets its own (never the secret key of the demo).
CHUISHAO_AUDIT_KEY = os.environ.get("CHUISHAO_AUDIT_KEY") or ("audit:" + SECRET_KEY)
