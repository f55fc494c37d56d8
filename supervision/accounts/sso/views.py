from allauth.account.internal.decorators import login_not_required
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView

from access.refusals import refuse
from supervision.accounts.sso.provider import CouncilSSOAdapter


@login_not_required
def login(request, provider_id):
    try:
        return OAuth2LoginView.adapter_view(CouncilSSOAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist:
        refuse(request, "single_sign_on", provider_id)


@login_not_required
def callback(request, provider_id):
    try:
        return OAuth2CallbackView.adapter_view(CouncilSSOAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist:
        refuse(request, "single_sign_on", provider_id)
