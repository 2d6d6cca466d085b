import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# The audit trail's staff_user index without the NULLs: only staff transitions name a user, so creations, API
# closes, scoring and every row expire_identifications expires no longer write an entry (bench/NOTES.md, "Index
# review"). Deleting a user (SET_NULL: staff_user_id IN (...)) still finds its events through the partial index.
# The full index goes with DROP INDEX alone, after the partial one exists: Django's AlterField would also drop and
# re-check the foreign key over every row.
OLD_INDEX = "identifications_identificationevent_staff_user_id_9708714b"


class Migration(migrations.Migration):

    dependencies = [
        ('identifications', '0016_expiry_due_keyset'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='identificationevent',
            index=models.Index(condition=models.Q(('staff_user__isnull', False)), fields=['staff_user'], name='event_staff_user'),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='identificationevent',
                    name='staff_user',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='staff user'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{OLD_INDEX}"',
                    f'CREATE INDEX "{OLD_INDEX}" ON "identifications_identificationevent" ("staff_user_id")',
                ),
            ],
        ),
    ]
