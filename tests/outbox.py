"""The statements of the outbox (services/events.py) after a transition, as the query budgets expect them.

On PostgreSQL one INSERT ... SELECT reads the identification's public fields and last event sequence and writes the
public event (events.BATCH_EVENTS_SQL); on SQLite the ORM SELECTs, then INSERTs. Then the SELECT of the
organization's enabled webhook endpoints (none in these tests, so no delivery INSERT).
"""

from django.db import connection

TRANSITION_OUTBOX = [*(["INSERT"] if connection.vendor == "postgresql" else ["SELECT", "INSERT"]), "SELECT"]
# A just-created identification's fields are the object's own and it has no earlier event: no SELECT, any database.
CREATION_OUTBOX = ["INSERT", "SELECT"]
