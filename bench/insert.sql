-- pgbench: the create request's statements (bench/ceiling.py), in one transaction, straight into PostgreSQL (the
-- database ceiling): the identification, its audit event, its public event, the SELECT of the webhook endpoints.
-- Variables from the driver: -D organization=<id> -D document_type=<id> -D configuration=<id>
\set n random(1, 99999999)
BEGIN;
INSERT INTO identifications_identification (id, organization_id, client_secret_hash, name, last_name, document_type_id, document_number, document_country, configuration_id, scoring_provider, status, created_at, updated_at, expires_at, closed_at, close_reason, attempts_used, result) VALUES (gen_random_uuid(), :organization, md5(random()::text) || md5(random()::text), 'James', 'Smith', :document_type, lpad(:n::text, 8, '0') || 'Z', 'ES', :configuration, 'INTERNAL', 'PENDING', now(), now(), now() + interval '7 days', NULL, '', 0, NULL) RETURNING id AS identification_id \gset
INSERT INTO identifications_identificationevent (identification_id, from_status, to_status, actor_type, actor, staff_user_id, reason, created_at) VALUES (':identification_id', NULL, 'PENDING', 'API_KEY', 'pgbench', NULL, '', now());
INSERT INTO identifications_event (public_id, organization_id, identification_id, type, sequence, payload, created_at) VALUES ('evt_' || replace(gen_random_uuid()::text, '-', ''), :organization, ':identification_id', 'identification.created', 1, jsonb_build_object('id', 'evt', 'type', 'identification.created', 'data', jsonb_build_object('id', ':identification_id', 'status', 'PENDING')), now());
SELECT id FROM identifications_webhookendpoint WHERE organization_id = :organization AND enabled;
COMMIT;
