"""The back office is a real AdminSite subclass installed as Django's default site, not a patched global."""

from django.contrib import admin
from django.urls import resolve

from identifications.back_office import BackOfficeAdminSite
from identifications.models import Identification
from scoring.models import Configuration


def test_the_default_admin_site_is_the_back_office_site_and_nothing_is_patched_onto_it():
    assert isinstance(admin.site, BackOfficeAdminSite)
    assert "get_urls" not in vars(admin.site)
    assert admin.site.is_registered(Identification)
    assert admin.site.is_registered(Configuration)


def test_the_dashboard_url_belongs_to_the_site():
    match = resolve("/admin/dashboard/")

    assert match.url_name == "dashboard"
    assert match.namespace == admin.site.name
