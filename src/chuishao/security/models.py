"""A person's second factor: one authenticator (TOTP) and single-use recovery codes."""

from django.conf import settings
from django.db import models


class TotpDevice(models.Model):
    person = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp")
    # Encrypted with CHUISHAO_TOTP_KEY (chuishao.security.totp.seal), never stored in clear.
    sealed_secret = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    # Sign-in asks for a code only once the person proved their app shows the right ones.
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last time step accepted: a code is good once (no replay within its window).
    last_step = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"TOTP of {self.person_id}"


class RecoveryCode(models.Model):
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # SHA-256 of a random 50-bit code, shown once; a dump gives the digests only.
    digest = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["person", "digest"])]

    def __str__(self) -> str:
        return f"recovery code of {self.person_id}"
