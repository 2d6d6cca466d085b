"""The back office's AdminSite, installed as Django's default one: INSTALLED_APPS lists BackOfficeAdminConfig
instead of "django.contrib.admin", so `django.contrib.admin.site` (and every `@admin.register`, in
identifications/admin/ and scoring/admin.py) is a BackOfficeAdminSite. Its titles and the dashboard URL are its
own, not patched onto a global instance.

This module sits outside identifications.admin on purpose: the default site is built the first time
`admin.site` is touched, and importing that package registers model admins on `admin.site`, which would build a
second site while the first is half made.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.urls import path
from django.utils.translation import gettext_lazy as _


class BackOfficeAdminSite(admin.AdminSite):
    site_header = _("Identity-document identification")
    site_title = _("Identity-document identification")
    index_title = _("Back office")

    def get_urls(self):
        # Imported here, once the admin modules are loaded (see the module docstring).
        from identifications.admin.dashboard import DASHBOARD_URL_NAME, dashboard_view

        # admin_view: active staff only, never cached, CSRF-protected. The dashboard comes first so the admin's
        # catch-all app_label pattern never shadows it.
        dashboard = self.admin_view(lambda request: dashboard_view(request, site=self))
        return [path("dashboard/", dashboard, name=DASHBOARD_URL_NAME), *super().get_urls()]


class BackOfficeAdminConfig(AdminConfig):
    default_site = "identifications.back_office.BackOfficeAdminSite"
