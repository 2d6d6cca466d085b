"""Fast seeding of the bench database with `INSERT ... SELECT generate_series`, one statement per table.

A million identifications go in with their creation events in one statement (a data-modifying CTE); secondary
indexes are dropped first and rebuilt afterwards (what a bulk load does: one sorted build per index instead of a
million random insertions), then the tables are vacuumed and analysed so the planner sees what production would.
"""

import time

SEED_ACTOR = "seedkey0"

VERIFIED_RESULT = (
    '{"score": 100, "passed": true, "checks": ['
    '{"name": "document_control_character", "passed": true, "weight": 10, "reason": ""}, '
    '{"name": "document_number_match", "passed": true, "weight": 20, "reason": ""}, '
    '{"name": "document_type_match", "passed": true, "weight": 5, "reason": ""}, '
    '{"name": "country_match", "passed": true, "weight": 5, "reason": ""}, '
    '{"name": "name_match", "passed": true, "weight": 25, "reason": ""}, '
    '{"name": "document_not_expired", "passed": true, "weight": 10, "reason": ""}, '
    '{"name": "mrz_valid", "passed": true, "weight": 20, "reason": ""}, '
    '{"name": "evidence_present", "passed": true, "weight": 5, "reason": ""}]}'
)
REJECTED_RESULT = (
    '{"score": 40, "passed": false, "checks": ['
    '{"name": "document_control_character", "passed": false, "weight": 10, '
    '"reason": "The control letter does not match the number."}, '
    '{"name": "document_number_match", "passed": true, "weight": 20, "reason": ""}, '
    '{"name": "name_match", "passed": false, "weight": 25, "reason": "The names do not match."}, '
    '{"name": "mrz_valid", "passed": false, "weight": 20, "reason": "A check digit is wrong."}, '
    '{"name": "evidence_present", "passed": true, "weight": 5, "reason": ""}]}'
)

# Every status over a year, oldest first (ids are random, but rows arrive in created_at order as in production).
# The last week is 60 % PENDING (open, unexpired); older PENDING rows have been expired by the cron job.
# With all_due, every row is PENDING and past its expiry: the input of `expire_identifications`.
IDENTIFICATIONS_SQL = """
WITH rows AS (
    SELECT g, created_at, secret_hash,
        CASE
            WHEN %(all_due)s THEN 'PENDING'
            WHEN created_at > now() - interval '7 days' AND g %% 10 < 6 THEN 'PENDING'
            ELSE (ARRAY['VERIFIED', 'VERIFIED', 'VERIFIED', 'VERIFIED', 'VERIFIED', 'VERIFIED',
                        'REJECTED', 'CLOSED', 'EXPIRED', 'EXPIRED'])[1 + (g / 10) %% 10]
        END AS status,
        g %% 10 AS kind
    FROM (
        SELECT g, now() - interval '1 hour' - interval '365 days' * (1 - g::float8 / %(rows)s) AS created_at,
            -- Due rows (the expiry's input) in creation order, as production inserts them: the heap, and so each
            -- batch of the oldest due rows, follows time. Hashed ones would scatter every batch over the table.
            CASE WHEN %(all_due)s THEN lpad(to_hex(g), 32, '0') || lpad(to_hex(g), 32, '0')
                ELSE encode(sha256(convert_to(%(salt)s || g::text, 'UTF8')), 'hex') END AS secret_hash
        FROM generate_series(1, %(rows)s) AS g
    ) AS timeline
), new AS (
    INSERT INTO identifications_identification (
        id, organization_id, client_secret_hash, name, last_name, document_type_id, document_number,
        document_country, configuration_id, scoring_provider, status, created_at, updated_at, expires_at,
        closed_at, close_reason, attempts_used, result
    )
    SELECT
        substr(secret_hash, 1, 32)::uuid,
        (%(organizations)s::bigint[])[1 + g %% %(organization_count)s],
        secret_hash,
        (ARRAY['James', 'Ana', 'José María', 'Lucía', 'Wei', 'Fatima', 'Olga', 'Pierre'])[1 + g %% 8],
        (ARRAY['Smith', 'García López', 'Fernández', 'Martín', 'Chen', 'El Amrani', 'Ivanova', 'Dubois'])
            [1 + (g / 8) %% 8],
        CASE WHEN kind < 7 THEN %(nif)s WHEN kind < 9 THEN %(nie)s ELSE %(passport)s END,
        CASE
            WHEN kind < 7 THEN lpad(g::text, 8, '0') || substr('TRWAGMYFPDXBNJZSQVHLCKE', 1 + g %% 23, 1)
            WHEN kind < 9
                THEN 'X' || lpad((g %% 10000000)::text, 7, '0') || substr('TRWAGMYFPDXBNJZSQVHLCKE', 1 + g %% 23, 1)
            ELSE 'P' || lpad(g::text, 8, '0')
        END,
        CASE WHEN kind < 9 THEN 'ES' ELSE 'FR' END,
        (%(configurations)s::bigint[])[1 + (g / 3) %% 3],
        CASE WHEN g %% 20 = 0 THEN 'EXTERNAL' ELSE 'INTERNAL' END,
        status,
        created_at,
        CASE status WHEN 'PENDING' THEN created_at WHEN 'EXPIRED' THEN created_at + interval '7 days'
            ELSE created_at + interval '2 hours' END,
        CASE
            WHEN %(all_due)s THEN created_at + interval '1 minute'
            WHEN status = 'PENDING' THEN created_at + interval '30 days'
            ELSE created_at + interval '7 days'
        END,
        CASE WHEN status = 'CLOSED' THEN created_at + interval '2 hours' END,
        CASE WHEN status = 'CLOSED' THEN 'Customer withdrew' ELSE '' END,
        CASE status WHEN 'VERIFIED' THEN 1 WHEN 'REJECTED' THEN 5 ELSE 0 END,
        CASE status WHEN 'VERIFIED' THEN %(verified)s::jsonb WHEN 'REJECTED' THEN %(rejected)s::jsonb END
    FROM rows
    -- In primary-key order (the id is taken from the hash, so also in client_secret_hash order): both unique
    -- indexes, which stay in place, grow at their right edge instead of taking a million random insertions.
    ORDER BY secret_hash
    RETURNING id, created_at
)
INSERT INTO identifications_identificationevent
    (identification_id, from_status, to_status, actor_type, actor, staff_user_id, reason, created_at)
SELECT id, NULL, 'PENDING', 'API_KEY', %(actor)s, NULL, '', created_at FROM new
WHERE %(with_events)s
"""

PENDING_SQL = """
WITH new AS (
    INSERT INTO identifications_identification (
        id, organization_id, client_secret_hash, name, last_name, document_type_id, document_number,
        document_country, configuration_id, scoring_provider, status, created_at, updated_at, expires_at,
        close_reason, attempts_used
    )
    SELECT gen_random_uuid(), %(organization)s, encode(sha256(convert_to(gen_random_uuid()::text, 'UTF8')), 'hex'),
        'James', 'Smith', %(nif)s, 'B' || lpad((%(first_number)s + g)::text, 8, '0'),
        'ES', %(configuration)s, 'INTERNAL', 'PENDING',
        -- Distinct timestamps, as requests make them: a million-way tie would turn every page into a sort.
        now() - g * interval '1 microsecond', now(), now() + interval '7 days', '', 0
    FROM generate_series(1, %(count)s) AS g
    RETURNING id, created_at
)
INSERT INTO identifications_identificationevent
    (identification_id, from_status, to_status, actor_type, actor, staff_user_id, reason, created_at)
SELECT id, NULL, 'PENDING', 'API_KEY', %(actor)s, NULL, '', created_at FROM new
RETURNING identification_id
"""

SEEDED_TABLES = ("identifications_identification", "identifications_identificationevent")


def reference_ids(cursor) -> dict:
    cursor.execute("SELECT code, id FROM identifications_documenttype")
    document_types = dict(cursor.fetchall())
    cursor.execute("SELECT name, id FROM scoring_configuration ORDER BY name")
    configurations = dict(cursor.fetchall())
    return {
        "nif": document_types["NIF"],
        "nie": document_types["NIE"],
        "passport": document_types["PASSPORT"],
        "configurations": [configurations[name] for name in ("LOW", "MEDIUM", "HIGH")],
        "high": configurations["HIGH"],
    }


def create_pending(cursor, *, count: int, organization_id: int, actor: str, first_number: int = 1) -> list[str]:
    """`count` open identifications of one organization (with their creation events); their ids. Their document
    numbers (B + 8 digits, from `first_number`) match no other row's, so an exact search finds one."""
    refs = reference_ids(cursor)
    cursor.execute(
        PENDING_SQL,
        {
            "organization": organization_id,
            "nif": refs["nif"],
            "configuration": refs["high"],
            "count": count,
            "actor": actor,
            "first_number": first_number - 1,
        },
    )
    return [str(row[0]) for row in cursor.fetchall()]


def _secondary_indexes(cursor) -> list[tuple[str, str]]:
    """(name, definition) of the seeded tables' indexes that back no constraint: those can be rebuilt."""
    cursor.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        """,
        [list(SEEDED_TABLES)],
    )
    return cursor.fetchall()


def seed_identifications(
    cursor, *, rows: int, organization_ids: list[int], all_due: bool = False, with_events: bool = True
) -> dict:
    """Insert `rows` identifications spread over the organizations, each with its creation event unless
    `with_events` is false (the expiry measurement only needs the due rows, and seeds twice as fast without them).

    Returns timings (seconds) of the insert, the index rebuild and the vacuum.
    """
    refs = reference_ids(cursor)
    timings = {}
    cursor.execute("SET maintenance_work_mem = '512MB'")
    cursor.execute("SET work_mem = '256MB'")
    indexes = _secondary_indexes(cursor)
    started = time.monotonic()
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    # The generated rows reference existing organizations, document types and configurations by construction:
    # skip the four million deferred foreign-key checks (triggers) a bulk load would otherwise queue.
    cursor.execute("SET session_replication_role = replica")
    cursor.execute(
        IDENTIFICATIONS_SQL,
        {
            "rows": rows,
            "all_due": all_due,
            "organizations": organization_ids,
            "organization_count": len(organization_ids),
            "nif": refs["nif"],
            "nie": refs["nie"],
            "passport": refs["passport"],
            "configurations": refs["configurations"],
            "verified": VERIFIED_RESULT,
            "rejected": REJECTED_RESULT,
            "actor": SEED_ACTOR,
            "salt": f"{time.time_ns()}-",
            "with_events": with_events,
        },
    )
    cursor.execute("SET session_replication_role = origin")
    cursor.execute("RESET work_mem")
    timings["insert_s"] = time.monotonic() - started
    started = time.monotonic()
    for _, definition in indexes:
        cursor.execute(definition)
    timings["indexes_s"] = time.monotonic() - started
    started = time.monotonic()
    for table in SEEDED_TABLES:
        cursor.execute(f"VACUUM (ANALYZE) {table}")
    # Write the load's dirty pages now, not during the measurements that follow.
    cursor.execute("CHECKPOINT")
    timings["vacuum_s"] = time.monotonic() - started
    return timings


def truncate_identifications(cursor) -> None:
    cursor.execute("TRUNCATE identifications_identification CASCADE")


EVENTS_SQL = """
INSERT INTO identifications_event (public_id, organization_id, identification_id, type, sequence, payload, created_at)
SELECT 'evt_' || md5(i.id::text), i.organization_id, i.id, 'identification.created', 1,
    jsonb_build_object(
        'id', 'evt_' || md5(i.id::text), 'type', 'identification.created',
        'timestamp', to_char(i.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'data', jsonb_build_object(
            'id', i.id::text, 'organization', o.slug, 'status', 'PENDING',
            'attempts', jsonb_build_object('used', 0, 'max', 5, 'processing', false), 'sequence', 1
        )
    ),
    i.created_at
FROM identifications_identification i JOIN identifications_organization o ON o.id = i.organization_id
WHERE NOT EXISTS (SELECT 1 FROM identifications_event e WHERE e.identification_id = i.id)
ORDER BY i.created_at
"""


def seed_events(cursor) -> dict:
    """One public `identification.created` event per seeded identification (the outbox's row, as create writes
    it), for the events list at a million events. The secondary indexes are rebuilt after the load, as above."""
    from django.db import transaction

    timings = {}
    cursor.execute("SET maintenance_work_mem = '512MB'")
    cursor.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = current_schema() AND i.tablename = 'identifications_event'
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        """
    )
    indexes = cursor.fetchall()
    # The unique constraints too (public id, (identification, sequence)): random keys, a million random insertions.
    cursor.execute(
        """
        SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE conrelid = 'identifications_event'::regclass AND contype = 'u'
        """
    )
    constraints = cursor.fetchall()
    started = time.monotonic()
    with transaction.atomic():  # a failed load must not leave the indexes dropped
        for name, _ in constraints:
            cursor.execute(f'ALTER TABLE identifications_event DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(EVENTS_SQL)
        timings["rows"] = cursor.rowcount
        cursor.execute("SET LOCAL session_replication_role = origin")
        timings["insert_s"] = time.monotonic() - started
        started = time.monotonic()
        for _, definition in indexes:
            cursor.execute(definition)
        for name, definition in constraints:
            cursor.execute(f'ALTER TABLE identifications_event ADD CONSTRAINT "{name}" {definition}')
    cursor.execute("VACUUM (ANALYZE) identifications_event")
    cursor.execute("CHECKPOINT")
    timings["indexes_vacuum_s"] = time.monotonic() - started
    return timings
