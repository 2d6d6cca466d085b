from django.db import migrations

DOCUMENT_TYPES = [
    {"code": "NIF", "label": "Spanish NIF (DNI number)", "number_pattern": r"^[0-9]{8}[A-Z]$", "country": "ES"},
    {"code": "NIE", "label": "Spanish NIE (foreigner number)", "number_pattern": r"^[XYZ][0-9]{7}[A-Z]$", "country": "ES"},
    {"code": "PASSPORT", "label": "Passport", "number_pattern": r"^[A-Z0-9]{3,20}$", "country": ""},
]


def seed(apps, schema_editor):
    DocumentType = apps.get_model("identifications", "DocumentType")
    for row in DOCUMENT_TYPES:
        DocumentType.objects.update_or_create(code=row["code"], defaults={**row, "active": True})


def unseed(apps, schema_editor):
    apps.get_model("identifications", "DocumentType").objects.filter(
        code__in=[row["code"] for row in DOCUMENT_TYPES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("identifications", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
