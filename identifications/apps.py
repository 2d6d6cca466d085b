from django.apps import AppConfig


class IdentificationsConfig(AppConfig):
    name = "identifications"
    verbose_name = "Identifications"

    def ready(self):
        from identifications import signals  # noqa: F401  (cache invalidation of reference rows)
