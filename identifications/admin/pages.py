"""The context every custom admin page starts from, built one way: the site's own context (sidebar, user links,
titles), the page title and, for pages of one model, its options for the breadcrumbs and body class."""

from django.contrib.admin import AdminSite


def admin_page_context(request, *, site: AdminSite, title, opts=None, **extra) -> dict:
    """Also sets `request.current_app`, so URLs reversed while rendering stay on `site`."""
    request.current_app = site.name
    context = {**site.each_context(request), "title": title}
    if opts is not None:
        context |= {"opts": opts, "app_label": opts.app_label}
    return context | extra


def model_admin_page_context(model_admin, request, *, title, **extra) -> dict:
    """admin_page_context for a page of `model_admin`'s model."""
    return admin_page_context(request, site=model_admin.admin_site, title=title, opts=model_admin.opts, **extra)
