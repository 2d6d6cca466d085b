from django.core.management import call_command
from django.db import migrations, models
import django.db.models.deletion

# The rate limiter's counters live in Django's database cache unless RATELIMIT_CACHE_URL points elsewhere
# (config/settings.py): its table is created here so that `migrate` is all a deployment needs.
RATELIMIT_CACHE_TABLE = "ratelimit_cache"


def create_ratelimit_cache_table(apps, schema_editor):
    # Named explicitly rather than read from settings.CACHES, so that the table exists (and tests can use it) even
    # where the settings point the limiter at another store. createcachetable skips a table that already exists.
    call_command("createcachetable", RATELIMIT_CACHE_TABLE, database=schema_editor.connection.alias, verbosity=0)


def drop_ratelimit_cache_table(apps, schema_editor):
    quoted = schema_editor.connection.ops.quote_name(RATELIMIT_CACHE_TABLE)
    schema_editor.execute(f"DROP TABLE IF EXISTS {quoted}")


class Migration(migrations.Migration):

    dependencies = [
        ('identifications', '0004_identification_redaction'),
    ]

    operations = [
        migrations.CreateModel(
            name='IdempotencyRecord',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=255)),
                ('request_fingerprint', models.CharField(max_length=64)),
                ('state', models.CharField(choices=[('in_progress', 'In progress'), ('completed', 'Completed')], default='in_progress', max_length=11)),
                ('response_status', models.PositiveSmallIntegerField(blank=True, null=True)),
                ('response_content_type', models.CharField(blank=True, max_length=100)),
                ('response_body', models.TextField(blank=True)),
                ('subject', models.CharField(blank=True, max_length=64)),
                ('created_at', models.DateTimeField()),
                ('updated_at', models.DateTimeField()),
                ('expires_at', models.DateTimeField()),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='identifications.organization')),
            ],
            options={
                'indexes': [models.Index(fields=['expires_at'], name='idempotency_purge_expired'), models.Index(fields=['subject'], name='idempotency_subject')],
                'constraints': [models.UniqueConstraint(fields=('organization', 'key'), name='idempotency_key_unique_per_organization'), models.CheckConstraint(condition=models.Q(('state__in', ['in_progress', 'completed'])), name='idempotency_record_state_valid')],
            },
        ),
        migrations.RunPython(create_ratelimit_cache_table, drop_ratelimit_cache_table),
    ]
