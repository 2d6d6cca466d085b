from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("identifications", "0011_document_type_number_validators"),
    ]

    operations = [
        migrations.AddField(
            model_name="identification",
            name="attempt_processing",
            field=models.BooleanField(db_default=False, default=False, verbose_name="attempt processing"),
        ),
    ]
