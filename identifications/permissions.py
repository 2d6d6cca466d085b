"""Every permission the back office checks, named once.

Identification's own permissions are declared here and `Identification.Meta.permissions` is this list, so a codename
exists in one place; the admin and `seed_demo` import the names below instead of spelling "app.codename" strings.
Renaming a codename is a data change (migrations record Meta.permissions), so these strings are part of the schema.
"""

from django.utils.translation import gettext_lazy as _

APP_LABEL = "identifications"

# Codenames of Identification's custom permissions.
CLOSE_IDENTIFICATION = "close_identification"
REDACT_IDENTIFICATION = "redact_identification"
VIEW_DOCUMENT_NUMBER = "view_document_number"
VIEW_IDENTIFICATION = "view_identification"  # Django's default view permission of the model

IDENTIFICATION_PERMISSIONS = [
    (CLOSE_IDENTIFICATION, _("Can close identifications by hand")),
    (REDACT_IDENTIFICATION, _("Can redact the personal data of identifications")),
    (VIEW_DOCUMENT_NUMBER, _("Can see full document numbers and export identifications")),
]


def qualified(codename: str, app_label: str = APP_LABEL) -> str:
    """The "app_label.codename" form that `user.has_perm` takes."""
    return f"{app_label}.{codename}"


# As `user.has_perm` takes them.
CAN_VIEW_IDENTIFICATIONS = qualified(VIEW_IDENTIFICATION)  # the list, the detail and the dashboard
CAN_CLOSE = qualified(CLOSE_IDENTIFICATION)
CAN_REDACT = qualified(REDACT_IDENTIFICATION)
CAN_REVEAL_DOCUMENT_NUMBER = qualified(VIEW_DOCUMENT_NUMBER)
# Organization API keys have no page of their own: their model's default permissions gate the organization's page.
CAN_ISSUE_API_KEY = qualified("add_organizationapikey")
CAN_REVOKE_API_KEY = qualified("change_organizationapikey")
CAN_VIEW_API_KEYS = (qualified("view_organizationapikey"), CAN_REVOKE_API_KEY)
# Declared by scoring.models.ScoringAttempt.Meta.permissions (scoring does not import identifications).
CAN_VIEW_EVIDENCE = qualified("view_evidence", app_label="scoring")

# What `seed_demo`'s back-office user may do: view and close, nothing else.
BACKOFFICE_CODENAMES = (VIEW_IDENTIFICATION, CLOSE_IDENTIFICATION)
