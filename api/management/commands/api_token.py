"""Service accounts and tokens from the command line, for scripting a deployment: the same
services (and audit entries) as the administrators' pages."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from api import tokens
from api.models import ApiToken, Scope, ServiceAccount
from supervision.models import Unit, User


def _messages(error: ValidationError) -> str:
    return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items())


class Command(BaseCommand):
    help = (
        "Manage the API's service accounts: create one (with its scopes and units), issue a "
        "token (printed once, never stored), revoke a token, or list accounts and tokens."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create-account", help="Create a service account")
        create.add_argument("name")
        create.add_argument(
            "--scope",
            action="append",
            choices=Scope.values,
            required=True,
            help="What it may do; repeat for more than one",
        )
        create.add_argument(
            "--unit", action="append", required=True, help="A unit code; repeat for more"
        )
        create.add_argument("--description", default="")
        create.add_argument("--by", required=True, help="The administrator's email address")
        issue = sub.add_parser("issue", help="Issue a token; it is printed once")
        issue.add_argument("name", help="The service account's name")
        issue.add_argument("--days", type=int, default=90)
        issue.add_argument("--by", required=True, help="The administrator's email address")
        revoke = sub.add_parser("revoke", help="Revoke a token, at once")
        revoke.add_argument("prefix", help="The token's prefix (the 10 characters after sr_)")
        revoke.add_argument("--by", required=True, help="The administrator's email address")
        sub.add_parser("list", help="List service accounts and their tokens")

    def _administrator(self, email: str) -> User:
        user = User.objects.filter(email__iexact=email, is_staff=True, is_active=True).first()
        if user is None:
            raise CommandError(f"--by: {email!r} is not an active system administrator")
        return user

    def _account(self, name: str) -> ServiceAccount:
        account = ServiceAccount.objects.filter(name__iexact=name).first()
        if account is None:
            raise CommandError(f"There is no service account called {name!r}")
        return account

    def handle(self, *args, **options):
        action = options["action"]
        try:
            getattr(self, "_" + action.replace("-", "_"))(options)
        except ValidationError as error:
            raise CommandError(_messages(error)) from None

    def _create_account(self, options):
        units = []
        for code in options["unit"]:
            unit = Unit.objects.filter(code=code).first()
            if unit is None:
                raise CommandError(f"--unit: there is no unit with the code {code!r}")
            units.append(unit)
        account = tokens.account_create(
            name=options["name"],
            description=options["description"],
            scopes=sorted(set(options["scope"])),
            units=units,
            by=self._administrator(options["by"]),
        )
        self.stdout.write(f"Created service account {account.name} (id {account.pk})")

    def _issue(self, options):
        token, presented = tokens.token_issue(
            account=self._account(options["name"]),
            days=options["days"],
            by=self._administrator(options["by"]),
        )
        self.stderr.write(
            f"Token sr_{token.prefix}… issued, expiring {token.expires_at:%-d %B %Y}. It is "
            "shown once, below; it is not kept."
        )
        self.stdout.write(presented)

    def _revoke(self, options):
        prefix = options["prefix"].removeprefix(tokens.TOKEN_START).split("_")[0]
        token = ApiToken.objects.filter(prefix=prefix).first()
        if token is None:
            raise CommandError(f"There is no token with the prefix {prefix!r}")
        tokens.token_revoke(token=token, by=self._administrator(options["by"]))
        self.stdout.write(f"Revoked token sr_{token.prefix}…")

    def _list(self, options):
        now = timezone.now()
        for account in ServiceAccount.objects.prefetch_related("units", "tokens"):
            units = ", ".join(unit.code for unit in account.units.all())
            state = "" if account.is_active else " (switched off)"
            self.stdout.write(f"{account.name}{state}: {', '.join(account.scopes)}; units {units}")
            for token in account.tokens.all():
                used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
                state = (
                    "revoked"
                    if token.revoked_at
                    else ("expired" if token.expires_at <= now else "active")
                )
                self.stdout.write(
                    f"  sr_{token.prefix}… {state}, expires {token.expires_at:%Y-%m-%d}, "
                    f"last used {used}"
                )
