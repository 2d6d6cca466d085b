"""Webhook endpoints with their health, and the delivery log with Resend; both act through the services."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from identifications import outbound
from identifications.admin.pagination import BoundedCountPaginator
from identifications.admin.read_only import IdentificationChildInline, ReadOnlyAdminMixin
from identifications.models import Event, WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint
from identifications.services import webhooks


class WebhookEndpointForm(forms.ModelForm):
    class Meta:
        model = WebhookEndpoint
        fields = ("organization", "url", "event_types", "description", "enabled")

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            outbound.check_url(url)
        except outbound.OutboundURLRefused as refused:
            raise forms.ValidationError(str(refused), code=refused.code) from None
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = (
        "url",
        "organization",
        "enabled",
        "last_success_at",
        "consecutive_failures",
        "failing_since",
        "disabled_reason",
    )
    list_filter = ("enabled",)
    list_select_related = ("organization",)
    search_fields = ("url", "organization__slug")
    readonly_fields = ("public_id", "last_success_at", "consecutive_failures", "failing_since", "disabled_reason")
    actions = ["send_test_event"]

    def save_model(self, request, obj, form, change):
        if change:
            fields = {name: form.cleaned_data[name] for name in form.changed_data}
            webhooks.webhook_endpoint_update(endpoint=obj, **fields)
            return
        endpoint, secret = webhooks.webhook_endpoint_create(
            organization=obj.organization, url=obj.url, event_types=obj.event_types, description=obj.description
        )
        obj.pk = endpoint.pk
        # Shown once: it is stored encrypted and never displayed again.
        messages.warning(request, gettext("Signing secret (shown once): %(secret)s") % {"secret": secret})

    @admin.action(description=_("Send a test event"))
    def send_test_event(self, request, queryset):
        for endpoint in queryset:
            webhooks.webhook_endpoint_send_test(endpoint=endpoint)
        count = len(queryset)
        self.message_user(
            request,
            ngettext("Sent a test event to %(count)d endpoints.", "Sent a test event to %(count)d endpoints.", count)
            % {"count": count},
        )


class DeliveryAttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = WebhookDeliveryAttempt
    extra = 0
    max_num = 0
    can_delete = False
    fields = ("created_at", "status_code", "duration_ms", "error", "response_body")
    readonly_fields = fields


class FailedFilter(admin.SimpleListFilter):
    title = _("failed")
    parameter_name = "failed"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        # Failed: given up, or still retrying after at least one failed attempt.
        failing = queryset.filter(status=WebhookDelivery.Status.FAILED) | queryset.filter(
            status=WebhookDelivery.Status.PENDING, attempts__gt=0
        )
        if self.value() == "yes":
            return failing
        if self.value() == "no":
            return queryset.exclude(pk__in=failing.values("pk"))
        return queryset


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "event", "event_type", "endpoint", "status", "attempts", "last_status_code")
    list_filter = (FailedFilter, "status", "event__type", "endpoint")
    list_select_related = ("event", "endpoint")
    ordering = ("-id",)
    show_full_result_count = False
    paginator = BoundedCountPaginator
    fields = ("event", "endpoint", "status", "attempts", "next_attempt_at", "last_status_code", "delivered_at")
    readonly_fields = fields
    inlines = [DeliveryAttemptInline]
    actions = ["resend"]

    @admin.display(description=_("type"))
    def event_type(self, obj):
        return obj.event.type

    @admin.action(description=_("Resend"))
    def resend(self, request, queryset):
        for delivery in queryset:
            webhooks.webhook_delivery_resend(delivery=delivery)
        count = len(queryset)
        self.message_user(
            request, ngettext("Resent %(count)d deliveries.", "Resent %(count)d deliveries.", count) % {"count": count}
        )

    def has_change_permission(self, request, obj=None):
        # The Resend action needs it; the form itself has only read-only fields.
        return request.user.has_perm("identifications.change_webhookdelivery")


class EventInline(IdentificationChildInline):
    """An identification's public events and, per event, where each was delivered."""

    model = Event
    fk_name = "identification"
    fields = ("public_id", "type", "sequence", "created_at", "deliveries_summary")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("deliveries__endpoint")

    @admin.display(description=_("webhook deliveries"))
    def deliveries_summary(self, obj):
        return (
            "; ".join(f"{d.endpoint.url}: {d.get_status_display()} ({d.attempts})" for d in obj.deliveries.all()) or "-"
        )
