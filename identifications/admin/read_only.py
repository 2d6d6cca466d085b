"""Admin classes for rows that only the services write: staff look, never add, edit or delete."""

from django.contrib import admin


class ReadOnlyAdminMixin:
    # Identifications, their events and attempts change only through identifications/services/.
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class IdentificationChildInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Rows shown on an identification's page (its history, its attempts)."""

    extra = 0
    max_num = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        # Whoever may see an identification may see how it got there and how it was scored.
        return self.admin_site.get_model_admin(self.parent_model).has_view_permission(request, obj)
