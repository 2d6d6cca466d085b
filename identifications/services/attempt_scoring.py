"""The worker's side of validate: score a stored attempt and record the transition it earns.

An attempt is claimed with a lease (a conditional UPDATE), scored outside any transaction (an EXTERNAL provider
may take seconds, OCR takes CPU), and its outcome written back under that lease together with the
identification's transition (`lifecycle.identification_conclude_attempt`), in one transaction. A worker killed
mid-scoring loses nothing: the sweeper re-queues the attempt once the lease has expired. A task that runs twice,
or for an attempt already concluded, finds nothing to claim and does nothing.

An unavailable EXTERNAL provider is retried with backoff; past `SCORING_PROVIDER_GIVE_UP_AFTER_SECONDS` after
validate the attempt ends `scoring_provider_unavailable`, uncounted. An attempt whose identification was closed or
expired meanwhile ends `abandoned`, with no transition.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from identifications.actors import Actor
from identifications.backoff import retry_delay
from identifications.models import Identification
from identifications.services.attempts import (
    attempt_scoring_enqueue,
    check_as_dict,
    declared,
    metadata_from_dict,
)
from identifications.services.lifecycle import identification_conclude_attempt
from scoring.checks import Outcome
from scoring.models import ScoringAttempt
from scoring.providers import Attempt, ScoringProviderUnavailable, provider_for

logger = logging.getLogger(__name__)

State = ScoringAttempt.State
# After the n-th failed try the next one comes this much later (the last delay repeats until the give-up time).
RETRY_DELAYS = [timedelta(seconds=s) for s in (5, 30, 120, 300)]
# A worker whose clock runs a little behind the web server's still takes an attempt that was just validated (rather
# than leaving it to the sweeper); a retry taken this much early is harmless.
CLOCK_TOLERANCE = timedelta(seconds=1)


def attempt_score(*, attempt_id, now=None) -> bool:
    """Claim the attempt if it is processing, due and held by nobody; score it and record the outcome. Returns
    whether this call worked on it (False: already concluded, not due yet, or held by another worker)."""
    now = now or timezone.now()
    lease = now + timedelta(seconds=settings.SCORING_ATTEMPT_LEASE_SECONDS)
    claimed = (
        ScoringAttempt.objects.filter(pk=attempt_id, state=State.PROCESSING, next_try_at__lte=now + CLOCK_TOLERANCE)
        .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now))
        .update(lease_expires_at=lease, tries=F("tries") + 1)
    )
    if not claimed:
        return False
    attempt = ScoringAttempt.objects.select_related(
        "identification__organization", "identification__configuration", "identification__document_type"
    ).get(pk=attempt_id)
    identification = attempt.identification
    if not identification.is_open_at(now):
        _end_uncounted(attempt, lease=lease, state=State.ABANDONED, now=now)
        return True
    if now >= _give_up_at(attempt) + timedelta(seconds=settings.SCORING_ATTEMPT_LEASE_SECONDS):
        # Past the give-up time and its last try (workers kept dying on it): stop, uncounted, so the holder may try
        # again.
        _end_uncounted(attempt, lease=lease, state=State.PROVIDER_UNAVAILABLE, now=now)
        return True
    try:
        provider_attempt = _provider_attempt(attempt)
    except FileNotFoundError:
        # The evidence left storage since the claim (a redaction closes the identification, then deletes it):
        # nothing to score; uncounted.
        _end_uncounted(attempt, lease=lease, state=State.ABANDONED, now=now)
        return True
    try:
        outcome = provider_for(identification).score(provider_attempt)
    except ScoringProviderUnavailable as unavailable:
        _after_unavailable(attempt, lease=lease, reason=str(unavailable), now=timezone.now())
        return True
    _record_outcome(attempt, outcome, lease=lease, now=timezone.now())
    return True


def _provider_attempt(attempt: ScoringAttempt) -> Attempt:
    evidence = None
    if attempt.evidence:
        with attempt.evidence.open("rb") as stored:
            evidence = stored.read()
    return Attempt(
        identification_id=str(attempt.identification_id),
        number=attempt.number,
        declared=declared(attempt.identification),
        metadata=metadata_from_dict(attempt.evidence_metadata),
        evidence=evidence,
        evidence_content_type=attempt.evidence_content_type,
        # Judged as of when it was presented (a document expiring while the attempt waited still counted).
        today=attempt.created_at.date(),
    )


def _give_up_at(attempt: ScoringAttempt):
    return attempt.created_at + timedelta(seconds=settings.SCORING_PROVIDER_GIVE_UP_AFTER_SECONDS)


def _record_outcome(attempt: ScoringAttempt, outcome: Outcome, *, lease, now) -> None:
    configuration = attempt.identification.configuration
    passed = configuration.passes(outcome, evidence_presented=bool(attempt.evidence))
    checks = [check_as_dict(check) for check in outcome.checks]
    with transaction.atomic():
        # The identification first, as validate and close lock it: the same order everywhere, no deadlock.
        locked = (
            Identification.objects.select_for_update()
            .only("status", "expires_at", "attempts_used")
            .get(pk=attempt.identification_id)
        )
        if not locked.is_open_at(now):
            _end_uncounted(attempt, lease=lease, state=State.ABANDONED, now=now)
            return
        scored = ScoringAttempt.objects.filter(pk=attempt.pk, state=State.PROCESSING, lease_expires_at=lease).update(
            state=State.SCORED,
            score=outcome.score,
            passed=passed,
            checks=checks,
            evidence_mrz=list(outcome.evidence_mrz) if outcome.evidence_mrz else None,
            lease_expires_at=None,
            next_try_at=None,
            concluded_at=now,
        )
        if not scored:
            # Our lease expired and another worker took the attempt over: its outcome stands.
            logger.warning("scoring attempt %s: lease lost, outcome dropped", attempt.pk)
            return
        status = identification_conclude_attempt(
            identification=locked,
            passed=passed,
            maximum_attempts=configuration.maximum_attempts,
            reason=f"Attempt {attempt.number} of {configuration.maximum_attempts} scored {outcome.score}.",
            actor=_presenter(attempt),
            now=now,
            changes={
                "attempts_used": attempt.number,
                "attempt_processing": False,
                "result": {"score": outcome.score, "passed": passed, "checks": checks},
            },
        )
    logger.info(
        "identification %s attempt %d scored %d (%s)",
        attempt.identification_id,
        attempt.number,
        outcome.score,
        status.lower(),
    )


def _presenter(attempt: ScoringAttempt) -> Actor:
    if attempt.actor_type:
        return Actor(attempt.actor_type, attempt.actor)
    return Actor.system()


def _after_unavailable(attempt: ScoringAttempt, *, lease, reason: str, now) -> None:
    """The provider failed this try: retry later with backoff (the last try at the give-up time), or give up once
    past it."""
    give_up_at = _give_up_at(attempt)
    if now >= give_up_at:
        _end_uncounted(attempt, lease=lease, state=State.PROVIDER_UNAVAILABLE, now=now)
        logger.warning("scoring attempt %s: provider unavailable, given up: %s", attempt.pk, reason)
        return
    retry_at = min(now + retry_delay(RETRY_DELAYS, attempt.tries), give_up_at)
    with transaction.atomic():
        retried = ScoringAttempt.objects.filter(pk=attempt.pk, state=State.PROCESSING, lease_expires_at=lease).update(
            next_try_at=retry_at, lease_expires_at=None
        )
        if retried:
            # Queued in the same transaction, as validate does (the database queue commits it with the retry time).
            attempt_scoring_enqueue(attempt.pk, run_after=retry_at)
    logger.info("scoring attempt %s: provider unavailable (%s), retry at %s", attempt.pk, reason, retry_at.isoformat())


def _end_uncounted(attempt: ScoringAttempt, *, lease, state: str, now) -> None:
    """End the attempt without counting it or moving the identification: the holder may validate again (if it is
    still open)."""
    with transaction.atomic():
        ended = ScoringAttempt.objects.filter(pk=attempt.pk, state=State.PROCESSING, lease_expires_at=lease).update(
            state=state, lease_expires_at=None, next_try_at=None, concluded_at=now
        )
        if ended:
            Identification.objects.filter(pk=attempt.identification_id).update(attempt_processing=False)
    if ended:
        logger.info("identification %s attempt %d ended %s", attempt.identification_id, attempt.number, state)


def attempts_sweep(*, now=None, overdue_by: timedelta = timedelta(seconds=30), limit: int = 1000) -> int:
    """Re-queue attempts still processing whose task was lost: a worker killed mid-scoring (its lease has expired),
    or a task that never ran (due for a while and never held). Returns how many it re-queued;
    an attempt queued twice is scored once, as the claim lets only one worker hold it."""
    now = now or timezone.now()
    ids = list(
        ScoringAttempt.objects.filter(state=State.PROCESSING, next_try_at__lte=now)
        # A worker took it and its lease expired: it died. Never taken: its task may still be waiting in a busy
        # queue, so only once it is overdue.
        .filter(Q(lease_expires_at__lte=now) | Q(lease_expires_at__isnull=True, next_try_at__lte=now - overdue_by))
        .order_by("next_try_at")
        .values_list("pk", flat=True)[:limit]
    )
    for attempt_id in ids:
        attempt_scoring_enqueue(attempt_id)
    return len(ids)
