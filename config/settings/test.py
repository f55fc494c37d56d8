from .base import *  # noqa: F403

# Argon2 is deliberately slow; tests that check the configured hasher read base.PASSWORD_HASHERS.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
