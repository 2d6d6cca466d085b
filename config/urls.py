from django.contrib import admin
from django.urls import include, path

from config.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("v1/", include("identifications.api.urls")),
]

handler400 = "identifications.api.http.errors.bad_request"
handler500 = "identifications.api.http.errors.server_error"
