"""The production URLs plus the ceiling views under /bench/ (served only with bench.settings)."""

from django.urls import path

from bench import ceiling
from config.urls import handler500
from config.urls import urlpatterns as production_urlpatterns

urlpatterns = [
    path("bench/constant", ceiling.constant, name="bench-constant"),
    path("bench/insert", ceiling.insert, name="bench-insert"),
    *production_urlpatterns,
]

__all__ = ["handler500", "urlpatterns"]
