from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from identifications.api.events import EventViewSet
from identifications.api.holder import IdentityDocumentIdentificationHolderViewSet
from identifications.api.http import schema  # noqa: F401  (registers the Bearer scheme with drf-spectacular)
from identifications.api.http.errors import api_not_found
from identifications.api.organization import IdentityDocumentIdentificationViewSet
from identifications.api.webhook_endpoints import WebhookEndpointViewSet

IDENTITY_DOCUMENT = r"orgs/(?P<org_id>[^/]+)/identifications/identity_document"

router = SimpleRouter(trailing_slash=False)
# Any org_id segment reaches authentication, so an unknown organization is a 401 like any other key mismatch.
# The admin family (create, list, close, redact) and the holder family (get, validate) share the base path.
router.register(IDENTITY_DOCUMENT, IdentityDocumentIdentificationViewSet, basename="identity-document-identification")
router.register(
    IDENTITY_DOCUMENT, IdentityDocumentIdentificationHolderViewSet, basename="identity-document-identification-holder"
)
# Events and webhooks (API.md "Events and webhooks").
router.register(r"orgs/(?P<org_id>[^/]+)/events", EventViewSet, basename="event")
router.register(r"orgs/(?P<org_id>[^/]+)/webhook_endpoints", WebhookEndpointViewSet, basename="webhook-endpoint")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file (?script): the CSP allows no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    *router.urls,
    re_path(r"^.*$", api_not_found),
]
