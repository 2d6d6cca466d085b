from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentificationsConfig(AppConfig):
    name = "identifications"
    verbose_name = _("Identifications")

    def ready(self):
        from identifications import signals  # noqa: F401  (cache invalidation of reference rows)
