"""Organizations, their API keys and their EXTERNAL scoring signing secret, changed only through
organization_services: keys are issued and revoked there, and the signing secret rotated.

Keys are listed from a few columns read with `.values()`: a key's primary key embeds its hash, so neither the
hash nor the primary key ever reaches a page (which is also why keys have no admin page or inline of their own).
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from identifications.admin.forms import IssueAPIKeyForm, OrganizationForm
from identifications.admin.pages import model_admin_page_context
from identifications.models import Organization
from identifications.permissions import CAN_ISSUE_API_KEY, CAN_REVOKE_API_KEY, CAN_VIEW_API_KEYS
from identifications.services.organizations import (
    ScoringSecretRotationConflict,
    api_key_issue,
    api_key_revoke,
    scoring_secret_rotate,
)
from scoring.signing import SIGNATURE_HEADER

KEY_COLUMNS = ("prefix", "name", "revoked", "expiry_date", "created", "last_used_at")


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    form = OrganizationForm
    list_display = ("slug", "name", "default_configuration", "created_at")
    list_select_related = ("default_configuration",)
    # An API key prefix (as seen in the audit trail's actor) finds its organization.
    search_fields = ("slug", "name", "api_keys__prefix__exact")
    search_help_text = _("A slug, a name, or an API key prefix (exact).")
    fields = (
        "slug",
        "name",
        "default_configuration",
        "scoring_url",
        "scoring_secret_version",
        "created_at",
        "updated_at",
    )
    readonly_fields = ("scoring_secret_version", "created_at", "updated_at")
    # A scoring URL typed without a scheme means HTTPS (Django 6's default), not HTTP.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_view_keys_permission(self, request):
        return any(request.user.has_perm(permission) for permission in CAN_VIEW_API_KEYS)

    def has_issue_key_permission(self, request):
        return request.user.has_perm(CAN_ISSUE_API_KEY)

    def has_revoke_key_permission(self, request):
        return request.user.has_perm(CAN_REVOKE_API_KEY)

    def get_readonly_fields(self, request, obj=None):
        # The slug is the org_id of every API path its clients call: it is chosen once.
        if obj is not None:
            return ("slug", *self.readonly_fields)
        return self.readonly_fields

    def get_urls(self):
        return [
            path(
                "<path:object_id>/api-keys/issue/",
                self.admin_site.admin_view(self.issue_key_view),
                name="identifications_organization_issue_key",
            ),
            path(
                "<path:object_id>/api-keys/<str:prefix>/revoke/",
                self.admin_site.admin_view(self.revoke_key_view),
                name="identifications_organization_revoke_key",
            ),
            path(
                "<path:object_id>/scoring-secret/rotate/",
                self.admin_site.admin_view(self.rotate_scoring_secret_view),
                name="identifications_organization_rotate_scoring_secret",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_rotate_scoring_secret"] = obj is not None and self.has_change_permission(request, obj)
        if obj is not None and self.has_view_keys_permission(request):
            now = timezone.now()
            keys = list(obj.api_keys.order_by("-created").values(*KEY_COLUMNS))
            for key in keys:
                key["usable"] = not key["revoked"] and (key["expiry_date"] is None or key["expiry_date"] > now)
            context.update(
                api_keys=keys,
                show_api_keys=True,
                can_issue_key=self.has_issue_key_permission(request),
                can_revoke_key=self.has_revoke_key_permission(request),
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _organization_or_404(self, request, object_id) -> Organization:
        organization = self.get_object(request, unquote(object_id))
        if organization is None:
            raise Http404("No such organization.")
        return organization

    def _context(self, request, organization, *, title, **extra):
        return model_admin_page_context(
            self,
            request,
            title=title,
            has_view_permission=True,
            original=organization,
            detail_url=reverse("admin:identifications_organization_change", args=[organization.pk]),
            **extra,
        )

    def issue_key_view(self, request, object_id):
        if not (self.has_view_permission(request) and self.has_issue_key_permission(request)):
            raise PermissionDenied
        organization = self._organization_or_404(request, object_id)
        form = IssueAPIKeyForm(request.POST if request.method == "POST" else None)
        raw_key = api_key = None
        if form.is_valid():
            api_key, raw_key = api_key_issue(
                organization=organization,
                name=form.cleaned_data["name"],
                expiry_date=form.cleaned_data["expiry_date"],
            )
            self.log_change(request, organization, f"Issued API key {api_key.prefix} ({api_key.name}).")
        # The raw key is rendered into this response only: not in a message (messages are stored in a cookie
        # or the session), not in a redirect; admin_view marks the response never-cache.
        context = self._context(
            request,
            organization,
            title=gettext("Issue an API key for %(organization)s") % {"organization": organization},
            form=form,
            media=self.media + form.media,
            raw_key=raw_key,
            api_key=api_key,
        )
        return TemplateResponse(request, "admin/identifications/organization/issue_api_key.html", context)

    def revoke_key_view(self, request, object_id, prefix):
        if not (self.has_view_permission(request) and self.has_revoke_key_permission(request)):
            raise PermissionDenied
        organization = self._organization_or_404(request, object_id)
        key = organization.api_keys.filter(prefix=prefix).values(*KEY_COLUMNS).first()
        if key is None:
            raise Http404("This organization has no API key with this prefix.")
        detail_url = reverse("admin:identifications_organization_change", args=[organization.pk])
        if request.method == "POST":
            if key["revoked"]:
                messages.info(request, gettext("API key %(prefix)s was already revoked.") % {"prefix": prefix})
            else:
                api_key_revoke(prefix=prefix)
                self.log_change(request, organization, f"Revoked API key {prefix} ({key['name']}).")
                messages.success(
                    request,
                    gettext("API key %(prefix)s revoked: it no longer authenticates any request.") % {"prefix": prefix},
                )
            return HttpResponseRedirect(detail_url)
        context = self._context(
            request, organization, title=gettext("Revoke API key %(prefix)s") % {"prefix": prefix}, key=key
        )
        return TemplateResponse(request, "admin/identifications/organization/revoke_api_key.html", context)

    def rotate_scoring_secret_view(self, request, object_id):
        if not (self.has_view_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        organization = self._organization_or_404(request, object_id)
        detail_url = reverse("admin:identifications_organization_change", args=[organization.pk])
        secret = None
        if request.method == "POST":
            try:
                secret = scoring_secret_rotate(organization=organization).decode("ascii")
            except ScoringSecretRotationConflict:
                messages.error(
                    request, gettext("Someone else rotated the scoring signing secret at the same time. Try again.")
                )
                return HttpResponseRedirect(detail_url)
            version = organization.scoring_secret_version
            self.log_change(request, organization, f"Rotated the scoring signing secret (now version {version}).")
        # As with API keys, the secret is rendered into this response only: never in a message or a redirect.
        context = self._context(
            request,
            organization,
            title=gettext("Rotate the scoring signing secret of %(organization)s") % {"organization": organization},
            secret=secret,
            signature_header=SIGNATURE_HEADER,
        )
        return TemplateResponse(request, "admin/identifications/organization/rotate_scoring_secret.html", context)
