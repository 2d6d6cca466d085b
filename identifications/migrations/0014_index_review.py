import django.db.models.deletion
import identifications.models.events
from django.db import migrations, models


# The index review of issue 13 (bench/NOTES.md, "Index review", has the EXPLAIN output behind each change):
# - single-column foreign-key indexes that a composite index (or unique constraint) starting with the same column
#   already serves: dropped;
# - `unique=True` on the client secret's hash and the event's public id becomes a UniqueConstraint: the same unique
#   index, without the varchar_pattern_ops twin PostgreSQL gets for LIKE queries that nothing sends.


def drop_index_only(alter_field, *, index, table, column):
    """The AlterField to db_index=False, done in the database as a DROP INDEX alone: Django's own AlterField also
    drops and re-adds the foreign key constraint, which re-checks every row of a million-row table under a lock."""
    return migrations.SeparateDatabaseAndState(
        state_operations=[alter_field],
        database_operations=[
            migrations.RunSQL(
                f'DROP INDEX IF EXISTS "{index}"',
                f'CREATE INDEX "{index}" ON "{table}" ("{column}")',
            )
        ],
    )


class Migration(migrations.Migration):

    dependencies = [
        ('identifications', '0013_ratelimit_counters'),
        ('scoring', '0004_translatable_verbose_names'),
    ]

    operations = [
        drop_index_only(
            migrations.AlterField(model_name='event', name='identification', field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='public_events', to='identifications.identification', verbose_name='identification')),
            index='identifications_event_identification_id_8edd995f', table='identifications_event', column='identification_id',
        ),
        drop_index_only(
            migrations.AlterField(model_name='event', name='organization', field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='identifications.organization', verbose_name='organization')),
            index='identifications_event_organization_id_fad43ff1', table='identifications_event', column='organization_id',
        ),
        migrations.AlterField(
            model_name='event',
            name='public_id',
            field=models.CharField(default=identifications.models.events.new_event_id, editable=False, max_length=40, verbose_name='id'),
        ),
        drop_index_only(
            migrations.AlterField(model_name='idempotencyrecord', name='organization', field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='identifications.organization')),
            index='identifications_idempotencyrecord_organization_id_b053dfc8', table='identifications_idempotencyrecord', column='organization_id',
        ),
        migrations.AlterField(
            model_name='identification',
            name='client_secret_hash',
            field=models.CharField(blank=True, editable=False, max_length=64, null=True, verbose_name='client secret hash'),
        ),
        drop_index_only(
            migrations.AlterField(model_name='identification', name='organization', field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='identifications', to='identifications.organization', verbose_name='organization')),
            index='identifications_identification_organization_id_db6a38b0', table='identifications_identification', column='organization_id',
        ),
        drop_index_only(
            migrations.AlterField(model_name='identificationevent', name='identification', field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='events', to='identifications.identification', verbose_name='identification')),
            index='identifications_identificationevent_identification_id_cef95a3d', table='identifications_identificationevent', column='identification_id',
        ),
        drop_index_only(
            migrations.AlterField(model_name='webhookdelivery', name='event', field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='identifications.event', verbose_name='event')),
            index='identifications_webhookdelivery_event_id_cdc1adca', table='identifications_webhookdelivery', column='event_id',
        ),
        migrations.AddConstraint(
            model_name='event',
            constraint=models.UniqueConstraint(fields=('public_id',), name='event_public_id_unique'),
        ),
        migrations.AddIndex(
            model_name='identification',
            index=models.Index(fields=['organization', 'status', '-created_at'], name='identification_org_status'),
        ),
        migrations.AddConstraint(
            model_name='identification',
            constraint=models.UniqueConstraint(fields=('client_secret_hash',), name='identification_client_secret_hash_unique'),
        ),
    ]
