"""Work for the background worker (`manage.py db_worker`). Tasks only call services: all state is in our tables,
so a task that is lost or runs twice is harmless."""

from django_tasks import task

from identifications.services.attempt_scoring import attempt_score
from identifications.services.webhook_delivery import webhook_deliveries_send_due, webhook_delivery_attempt


@task()
def deliver_webhooks() -> int:
    """Send every due webhook delivery, in batches; queued by `deliveries_enqueue` when none is waiting."""
    return webhook_deliveries_send_due()


@task()
def deliver_webhook(delivery_id: int) -> bool:
    """One delivery: the task of earlier releases, kept because databases may still hold queued ones."""
    return webhook_delivery_attempt(delivery_id=delivery_id)


@task()
def score_attempt(attempt_id: int) -> bool:
    return attempt_score(attempt_id=attempt_id)
