"""Settings for every environment, read from environment variables with safe local defaults.

Every variable is documented in README.md ("Configuration"). `production.py` tightens these
for a deployment; `test.py` speeds them up for the test suite.
"""

import os
import secrets
import warnings
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def local_secret_key() -> str:
    """A key generated once per checkout, so none is ever committed or shared between installs."""
    path = BASE_DIR / ".secret_key"
    if not path.exists():
        # O_EXCL so two processes starting together cannot each write a different key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(64))
    return path.read_text().strip()


SECRET_KEY = os.environ.get("SECRET_KEY") or local_secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
ORGANISATION_NAME = os.environ.get("ORGANISATION_NAME", "Northshire Children's Services")
SERVICE_NAME = os.environ.get("SERVICE_NAME", "Supervision records")
# Printed at the top and bottom of every printed page and PDF; set it empty for none.
PROTECTIVE_MARKING = os.environ.get("PROTECTIVE_MARKING", "OFFICIAL-SENSITIVE")
# Whom a leaver is told to ask for their records, on the page they see when they try to sign
# in after their account has closed. Plain text, finishing the sentence "contact …".
ACCOUNT_CLOSED_CONTACT = os.environ.get(
    "ACCOUNT_CLOSED_CONTACT",
    f"the information governance team at {ORGANISATION_NAME}, or your former manager",
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",  # allauth's pages of sessions and security keys
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_forms_gds",
    "guardian",
    "csp",
    # Accounts, two-factor authentication, single sign-on and "sign out everywhere"; nobody
    # registers themselves (supervision.accounts.adapters).
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.usersessions",
    "supervision.accounts.sso",
    "django_celery_beat",
    "supervision",
    "agreements",
    "casework",
    "oversight",
    # The API for the council's other systems (api/; docs/api.md).
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "api.middleware.ApiWithoutSessionMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "supervision.web.middleware.SessionRefreshMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "supervision.web.middleware.SessionLifetimeMiddleware",
    "supervision.web.middleware.TwoFactorRequiredMiddleware",
    "supervision.web.middleware.NoStoreForSignedInMiddleware",
    "access.middleware.AuditRefusalsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
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
                "supervision.web.context_processors.service",
            ],
        },
    },
]

# The embedded default (`make run`): the web server and the Celery worker write to one SQLite
# file, and every page view writes an audit row. WAL lets readers go on while one writes; a
# transaction takes the write lock when it begins (IMMEDIATE), so two writers queue for up to
# 20 seconds instead of one failing at once with "database is locked" when a read turns into a
# write. tests/project/test_sqlite_concurrency.py proves it with two writers on one file.
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}


# The longest a home page or a finalised record's page is served as kept, when nothing it
# shows has changed (oversight.reports.home_kept): what time alone changes shows within it.
HOME_KEEP_SECONDS = int(os.environ.get("HOME_KEEP_SECONDS", "60"))

# How many times a connection sends a statement before psycopg prepares it (PostgreSQL with
# server-side binding); "none" never prepares.
PREPARE_THRESHOLD = (
    None
    if os.environ.get("DATABASE_PREPARE_THRESHOLD", "5").lower() == "none"
    else int(os.environ.get("DATABASE_PREPARE_THRESHOLD", "5"))
)


def database_from_url(url: str) -> dict:
    """DATABASES["default"] for a DATABASE_URL, with the options its engine needs. A function so
    the test can show the SQLite options reach SQLite and nothing else."""
    database = dj_database_url.parse(
        url,
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
    if database["ENGINE"] == "django.db.backends.postgresql":
        # PostgreSQL's JIT compiles a query its planner thinks costly before running it: for
        # the dashboard's aggregates that took 0.8 s to save a few milliseconds
        # (bench_dashboard).
        database.setdefault("OPTIONS", {})["options"] = "-c jit=off"
        # Parameters sent apart from the statement: psycopg no longer quotes them into the
        # text in Python (the record page served 286 requests a second instead of 157,
        # tests/benchmarks/measure_pages.py), and a statement a connection has sent
        # PREPARE_THRESHOLD times is prepared, so PostgreSQL parses and plans it once (Django
        # turns psycopg's preparing off unless told). A pooler in transaction mode cannot keep
        # prepared statements: set DATABASE_SERVER_SIDE_BINDING=0 behind one.
        if os.environ.get("DATABASE_SERVER_SIDE_BINDING", "1") != "0":
            database["OPTIONS"]["server_side_binding"] = True
            database["OPTIONS"]["prepare_threshold"] = PREPARE_THRESHOLD
        # Django's backend, with bulk statements cut to PostgreSQL's 65,535 parameters.
        database["ENGINE"] = "config.postgresql"
    return database


DATABASES = {
    "default": database_from_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
    )
}
# Migrations run as the tables' owner; the web, the workers and beat connect as an application
# role that owns nothing and may only add to the audit trail (supervision.organisation
# .database_roles; README, "Database roles"). Unset, migrations use DATABASE_URL's role.
MIGRATE_DATABASE_URL = os.environ.get("MIGRATE_DATABASE_URL", "")
MIGRATION_DATABASE = database_from_url(MIGRATE_DATABASE_URL) if MIGRATE_DATABASE_URL else None
# Kept apart: migrations reconnect the default connection as the owner for a while.
APPLICATION_DATABASE_ROLE = DATABASES["default"].get("USER", "")
# The audit trail's checkpoints (supervision.organisation.checkpoints; README, "The audit
# trail"): the chain's head signed with an Ed25519 key the database never holds, appended to a
# log outside the database. The key is the PEM itself (from a secret store) or a file.
AUDIT_CHECKPOINT_KEY = os.environ.get("AUDIT_CHECKPOINT_KEY", "")
AUDIT_CHECKPOINT_KEY_FILE = Path(
    os.environ.get("AUDIT_CHECKPOINT_KEY_FILE", BASE_DIR / "var" / "audit" / "checkpoint-key.pem")
)
# By default one log per database, so a second local database is not checked against the
# first one's checkpoints.
AUDIT_CHECKPOINT_LOG = Path(
    os.environ.get("AUDIT_CHECKPOINT_LOG")
    or BASE_DIR
    / "var"
    / "audit"
    / f"checkpoints-{Path(str(DATABASES['default']['NAME'])).stem}.log"
)
# Earlier keys' public halves (base64, comma-separated): their checkpoints stay believed after
# the key is rotated.
AUDIT_CHECKPOINT_TRUSTED_KEYS = env_list("AUDIT_CHECKPOINT_TRUSTED_KEYS")
# Copies elsewhere: a syslog socket ("/dev/log") or "host:port" (UDP), and an email address.
AUDIT_CHECKPOINT_SYSLOG = os.environ.get("AUDIT_CHECKPOINT_SYSLOG", "")
AUDIT_CHECKPOINT_EMAIL = os.environ.get("AUDIT_CHECKPOINT_EMAIL", "")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "supervision.User"
AUTHENTICATION_BACKENDS = [
    "access.backends.OrganisationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    # Django's list of 20,000 passwords most common in breaches, shipped with Django: no
    # network look-up. No rules of composition (NCSC password guidance).
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# A link to set one's own password (supervision/people/passwords.py) works once, for 24 hours;
# the invitation a new account gets works once, for 7 days.
PASSWORD_RESET_TIMEOUT = 24 * 60 * 60
INVITATION_TIMEOUT = timedelta(days=int(os.environ.get("INVITATION_DAYS", "7")))
LOGIN_URL = "sign-in"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "sign-in"

# Sessions end after 30 minutes without a request and after 12 hours in all
# (SessionLifetimeMiddleware), whichever comes first. The idle limit is renewed when a request
# comes a minute or more after the session was last saved (SessionRefreshMiddleware), not on
# every request: a write per page was most of what a page cost. Kept in the database and read
# from the "sessions" cache (supervision.accounts.sessions): Redis where REDIS_URL is set.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = 60
SESSION_ENGINE = "supervision.accounts.sessions"
SESSION_CACHE_ALIAS = "sessions"
SESSION_ABSOLUTE_LIFETIME = timedelta(hours=int(os.environ.get("SESSION_MAX_HOURS", "12")))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Failed attempts to prove who one is (signing in, or confirming it to sign a record) are
# counted per account, the address typed case-folded and trimmed, and per client address;
# after a few, each next try waits longer, and no more than ten fit in five minutes (Cyber
# Essentials). A browser in which the person has signed in before keeps its own count, so
# nobody elsewhere can lock them out (supervision/accounts/limits.py).
SIGN_IN_WINDOW = timedelta(minutes=5)
SIGN_IN_FAILURES_PER_WINDOW = 10
SIGN_IN_FREE_FAILURES = 3
SIGN_IN_FIRST_DELAY = timedelta(seconds=5)
# An office shares one address, so an address may fail more often than an account.
SIGN_IN_ADDRESS_FAILURES_PER_WINDOW = 30
SIGN_IN_ADDRESS_FREE_FAILURES = 10
# How many proxies in front of the app append to X-Forwarded-For (0: none, use the TCP peer).
# With one (nginx's `proxy_add_x_forwarded_for`), the client is the last address in it.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

ACCOUNT_ADAPTER = "supervision.accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "supervision.accounts.adapters.SocialAccountAdapter"
MFA_ADAPTER = "supervision.accounts.adapters.TwoFactorAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
ACCOUNT_FORMS = {"login": "supervision.web.forms_accounts.SignInForm"}
# The account limits above replace allauth's own count of failed sign-ins, and its limit of
# 30 sign-ins a minute from one address, which a council office behind one address passes
# at nine in the morning: only failures are limited.
ACCOUNT_RATE_LIMITS = {"login_failed": False, "login": False}
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_FORMS = {
    "authenticate": "supervision.web.forms_accounts.TwoFactorCodeForm",
    "reauthenticate": "supervision.web.forms_accounts.TwoFactorReauthenticateForm",
}
MFA_TOTP_ISSUER = SERVICE_NAME
# Encrypts authenticator-app secrets and recovery-code seeds in the database. Changing it makes
# everyone set up their second factor again, so it is its own setting, not SECRET_KEY.
TWO_FACTOR_ENCRYPTION_KEY = os.environ.get("TWO_FACTOR_ENCRYPTION_KEY") or SECRET_KEY
MFA_PASSKEY_LOGIN_ENABLED = False
# WebAuthn needs a secure origin; http://127.0.0.1 (make run, the browser tests) is allowed
# only when this says so.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = env_bool("WEBAUTHN_ALLOW_HTTP", DEBUG)
# Who must use a second factor: "everyone", or roles by name (supervision.accounts.policy).
TWO_FACTOR_REQUIRED_FOR = env_list(
    "TWO_FACTOR_REQUIRED_FOR",
    "system_admin,auditor,senior_manager,information_governance",
)

# Single sign-on with OpenID Connect (Microsoft Entra ID, or any compliant provider), set from
# the environment (README, "Single sign-on"). Accounts are never made by signing in.
SSO_ENTRA_TENANT_ID = os.environ.get("SSO_ENTRA_TENANT_ID", "")
SSO_SERVER_URL = os.environ.get("SSO_SERVER_URL", "") or (
    f"https://login.microsoftonline.com/{SSO_ENTRA_TENANT_ID}/v2.0" if SSO_ENTRA_TENANT_ID else ""
)
SSO_CLIENT_ID = os.environ.get("SSO_CLIENT_ID", "")
SSO_CLIENT_SECRET = os.environ.get("SSO_CLIENT_SECRET", "")
SSO_NAME = os.environ.get("SSO_NAME", "Microsoft" if SSO_ENTRA_TENANT_ID else "your work account")
# When on, local passwords are refused but for administrators with a second factor (the
# break-glass account).
SSO_ONLY = env_bool("SSO_ONLY", False)
# The directory is the organisation's own, so the address it gives is trusted even when it
# does not mark it verified (Entra ID never does).
SSO_TRUST_DIRECTORY_EMAIL = env_bool("SSO_TRUST_DIRECTORY_EMAIL", True)
# The part of the single sign-on addresses that names the provider: /sign-in/sso/<this>/.
SSO_PROVIDER_ID = "work-account"
SOCIALACCOUNT_PROVIDERS = {
    "council_sso": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": (
            [
                {
                    "provider_id": SSO_PROVIDER_ID,
                    "name": SSO_NAME,
                    "client_id": SSO_CLIENT_ID,
                    "secret": SSO_CLIENT_SECRET,
                    "settings": {"server_url": SSO_SERVER_URL, "fetch_userinfo": False},
                }
            ]
            if SSO_SERVER_URL and SSO_CLIENT_ID
            else []
        ),
    }
}
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False

GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None

# No inline script or style anywhere: every page's JavaScript is a file under /static/.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATE_FORMAT = "j M Y"

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Locally the built files are served straight from static/; production runs collectstatic.
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every start when it is missing.
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# The organisation's certificate and private key (PKCS#12) that digitally sign the PDFs of
# finalised records and signed agreements (README, "Signed PDFs"); `make run` makes a
# self-signed one here. A timestamp authority, when named, vouches for the time of signing;
# its certificate (PEM or DER) is what the check page trusts the time it gives.
RECORD_SIGNING_CERTIFICATE = Path(
    os.environ.get("RECORD_SIGNING_CERTIFICATE")
    or BASE_DIR / "var" / "signing" / "organisation.p12"
)
RECORD_SIGNING_PASSPHRASE = os.environ.get("RECORD_SIGNING_PASSPHRASE", "")
# pyHanko imports cryptography's DSA support, which cryptography warns is going; nothing here
# uses DSA, and the warning would otherwise open the log of every process that signs a PDF.
warnings.filterwarnings("ignore", message="DSA is deprecated", module="pyhanko")
RECORD_SIGNING_TSA_URL = os.environ.get("RECORD_SIGNING_TSA_URL", "")
RECORD_SIGNING_TSA_CERTIFICATE = os.environ.get("RECORD_SIGNING_TSA_CERTIFICATE", "")
# A download of more rows than this is built by a Celery task, with a progress page.
EXPORT_INLINE_ROWS = int(os.environ.get("EXPORT_INLINE_ROWS", "5000"))
# Where signed PDFs, subject access zips and large downloads are kept (supervision/models/
# files.py). "database" (the default): with the data, so one PostgreSQL backup restores both
# and every machine reads the same files. "s3": an S3-compatible bucket through django-storages
# (pip install '.[s3]'; AWS_STORAGE_BUCKET_NAME, AWS_S3_ENDPOINT_URL and the usual AWS_*
# variables, read by django-storages). "folder": MEDIA_ROOT, shared by every machine.
FILE_STORAGE = os.environ.get("FILE_STORAGE", "database")
_FILE_STORAGE_BACKENDS = {
    "database": {"BACKEND": "supervision.models.files.DatabaseStorage"},
    "s3": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("AWS_STORAGE_BUCKET_NAME", ""),
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            # Private: every file is handed out by a view that checks and audits.
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    },
    "folder": {"BACKEND": "supervision.models.files.WholeFileSystemStorage"},
}
if FILE_STORAGE not in _FILE_STORAGE_BACKENDS:
    raise ImproperlyConfigured(
        f"FILE_STORAGE must be one of {', '.join(_FILE_STORAGE_BACKENDS)}, not {FILE_STORAGE!r}"
    )
STORAGES = {
    "default": _FILE_STORAGE_BACKENDS[FILE_STORAGE],
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Attachments on records and case notes (supervision/organisation/uploads.py): each is scanned
# by ClamAV's daemon over its local socket before it is stored, and refused when it cannot be.
# The default is the project's own daemon, which bin/clamd-up starts for `make run` and tests;
# production points this at Debian's clamav-daemon, kept up to date by freshclam (README).
CLAMD_SOCKET = os.environ.get("CLAMD_SOCKET", str(BASE_DIR / ".clamav" / "clamd.sock"))
# How long one scan may take before the upload is refused as not checked.
CLAMD_TIMEOUT_SECONDS = float(os.environ.get("CLAMD_TIMEOUT_SECONDS", "30"))
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))

# Background work (supervision/work.py): the soft and hard time limits of one attempt, in
# seconds, by kind. The soft limit ends the attempt with an error (tried again later); the
# hard one stops the worker process. The work's lease lasts the hard limit and 30 seconds.
BACKGROUND_WORK_LIMITS = {
    "record_pdf": (120, 180),
    "export": (15 * 60, 16 * 60),
    "subject_access": (25 * 60, 26 * 60),
}
if os.environ.get("BACKGROUND_WORK_SECONDS"):
    # One limit for every kind, for the fault tests, which kill workers and wait out leases.
    _seconds = int(os.environ["BACKGROUND_WORK_SECONDS"])
    BACKGROUND_WORK_LIMITS = dict.fromkeys(BACKGROUND_WORK_LIMITS, (_seconds, _seconds + 5))
# Attempts before the work fails for good and the person sees "Try again".
BACKGROUND_WORK_ATTEMPTS = 5
# The Celery queue background work goes to; empty for the default one. A separate queue lets
# the long work (PDFs, exports) have workers of its own, apart from the scheduled jobs.
BACKGROUND_WORK_QUEUE = os.environ.get("BACKGROUND_WORK_QUEUE", "")

CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"

# Celery: Redis when REDIS_URL is set; otherwise kombu's filesystem broker under .broker/,
# so `make run` needs no server. Results go to the same place, for tasks whose caller waits.
REDIS_URL = os.environ.get("REDIS_URL", "")
BROKER_DIR = Path(os.environ.get("BROKER_DIR", BASE_DIR / ".broker"))
# A Redis that is down or frozen must cost a request a second or two, never hang it: every
# connection to it gives up after REDIS_TIMEOUT_SECONDS, and what was to be queued waits in its
# row (the outbox; the PDF is made by the download if its task never ran).
REDIS_TIMEOUT_SECONDS = float(os.environ.get("REDIS_TIMEOUT_SECONDS", "1"))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_timeout": REDIS_TIMEOUT_SECONDS,
        "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
        # A task a dead worker held is handed to another after this long, not after an hour.
        "visibility_timeout": 30 * 60,
    }
    CELERY_REDIS_SOCKET_TIMEOUT = REDIS_TIMEOUT_SECONDS
    CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_TIMEOUT_SECONDS
    _redis_cache = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {
            "socket_timeout": REDIS_TIMEOUT_SECONDS,
            "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
        },
    }
    # A session is read from Redis on every request: a frozen Redis must cost its first
    # request half a second (then the database serves sessions for a while: see
    # supervision.accounts.sessions), leaving room for the broker's own wait.
    _session_timeout = min(REDIS_TIMEOUT_SECONDS, 0.5)
    CACHES = {
        "default": _redis_cache,
        "sessions": {
            **_redis_cache,
            "OPTIONS": {
                "socket_timeout": _session_timeout,
                "socket_connect_timeout": _session_timeout,
            },
        },
    }
else:
    for sub in ("queue", "processed", "results", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(BROKER_DIR / "control"),
    }
    CELERY_RESULT_BACKEND = f"file://{BROKER_DIR / 'results'}"
    # Without Redis (the embedded default, one server process) each process keeps its own
    # copy of the sessions it read: a server of several processes (gunicorn --workers) sets
    # REDIS_URL, or a session signed out in one process could still be read from another's
    # copy until its idle limit.
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "sessions": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "sessions",
        },
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
# A worker killed mid-task (the out-of-memory killer, a deploy) gives the task back to the
# queue rather than acknowledging it as done.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Publishing gives up quickly on a dead broker: the caller's work is already in its row.
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_TIMEOUT_SECONDS
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# Nobody reads a task's result but the worker ping; those who do ask for it.
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_EXPIRES = timedelta(hours=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Beat writes each job's last run to the database after every job it sends, not every three
# minutes: /healthz/ reads it, and a scheduler that has just started is running, not silent.
CELERY_BEAT_SYNC_EVERY = 1
# Time limits for the tasks that do background work (above), and for the scheduled jobs, so a
# hung call never holds a worker for good.
CELERY_TASK_ANNOTATIONS = {
    "supervision.tasks.record_pdf_generate": BACKGROUND_WORK_LIMITS["record_pdf"],
    "oversight.tasks.export_build": BACKGROUND_WORK_LIMITS["export"],
    "oversight.tasks.subject_access_export_build": BACKGROUND_WORK_LIMITS["subject_access"],
}
CELERY_TASK_ANNOTATIONS = {
    name: {"soft_time_limit": soft, "time_limit": hard}
    for name, (soft, hard) in CELERY_TASK_ANNOTATIONS.items()
}
# Every other task: the scheduled jobs finish in seconds; ten minutes means something hangs.
CELERY_TASK_SOFT_TIME_LIMIT = 10 * 60
CELERY_TASK_TIME_LIMIT = 11 * 60

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "sent-mail"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "supervision@example.org")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint reports each step of every PDF at INFO; its warnings still show.
    "loggers": {"weasyprint.progress": {"level": "WARNING"}},
}

# The API (/api/v1/; docs/api.md): service accounts' bearer tokens only, never a person's
# session; every route names its scopes and the rest are shut; errors are JSON problems.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.framework.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.framework.permissions.Shut"],
    "DEFAULT_THROTTLE_CLASSES": ["api.framework.throttling.PerTokenThrottle"],
    "DEFAULT_PAGINATION_CLASS": "api.framework.pagination.StablePages",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.framework.problems.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "PAGE_SIZE": 100,
}
# Calls one token may make (per second, minute, hour or day); counted in Redis where
# REDIS_URL is set, so every web process shares the count.
API_TOKEN_RATE = os.environ.get("API_TOKEN_RATE", "600/minute")
# The longest an administrator may make a token last.
API_TOKEN_MAX_DAYS = int(os.environ.get("API_TOKEN_MAX_DAYS", "366"))
SPECTACULAR_SETTINGS = {
    "TITLE": "Supervision records API",
    "DESCRIPTION": (
        "Read units, staff, supervisory relationships, agreements' status, sessions' dates, "
        "flags, the compliance report and the dashboard figures, for business intelligence; "
        "write the nightly staff and allocation feeds. Every call needs a service account's "
        "token (`Authorization: Bearer sr_…`), sees only that account's units and the units "
        "below them, and is audited. Record and case-note text is never in the API. Lists are "
        "cursor-paged in a stable order; errors are JSON problems (RFC 9457)."
    ),
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "UnitKindEnum": "supervision.models.organisation.Unit.Kind",
        "RelationshipKindEnum": "supervision.models.organisation.SupervisoryRelationship.Kind",
        "FlagKindEnum": "oversight.models.FlagKind",
    },
}

# SQLite cannot make NULLs equal in a unique constraint, so "one open flag per item" is enforced
# there only by the tick's claim; PostgreSQL (production and CI) enforces it in the database.
# SQLite also keeps no non-key columns in an index, so the finalised records' covering indexes
# are plain ones there (W040); PostgreSQL reads the dashboard's figures from the index alone.
SILENCED_SYSTEM_CHECKS = ["models.W047", "models.W040"]
