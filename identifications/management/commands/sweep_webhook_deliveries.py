"""The sweeper's former name, kept so that existing cron lines and timers keep working: it is `sweep` (deliveries
and scoring attempts)."""

from identifications.management.commands.sweep import Command as SweepCommand


class Command(SweepCommand):
    help = "Former name of `sweep`, which re-queues lost webhook deliveries and scoring attempts."
