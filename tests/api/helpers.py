"""Service accounts and tokens for the API's tests, made through the product's own services."""

from api import tokens
from api.models import Scope

ALL_READ = [Scope.READ_FIGURES, Scope.READ_PEOPLE]


def service_account(admin, units, scopes=ALL_READ, name="Power BI"):
    return tokens.account_create(
        name=name, description="", scopes=list(scopes), units=list(units), by=admin
    )


def token_for(account, admin, days=30) -> str:
    return tokens.token_issue(account=account, days=days, by=admin)[1]


def bearer(presented: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {presented}"}
