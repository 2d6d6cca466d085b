from django.db import migrations

# Assurance levels named by the API's configuration_name. Staff tune them in the admin afterwards.
CONFIGURATIONS = [
    {
        "name": "LOW",
        "description": "Number with a valid control character; a low score is enough.",
        "minimum_score": 50,
        "maximum_attempts": 5,
        "required_checks": ["document_control_character"],
    },
    {
        "name": "MEDIUM",
        "description": "The document read matches the declared number and name.",
        "minimum_score": 70,
        "maximum_attempts": 5,
        "required_checks": ["document_control_character", "document_number_match", "name_match"],
    },
    {
        "name": "HIGH",
        "description": "Every check: valid MRZ, unexpired document, evidence image.",
        "minimum_score": 90,
        "maximum_attempts": 5,
        "required_checks": [
            "document_control_character",
            "document_number_match",
            "name_match",
            "document_not_expired",
            "mrz_valid",
            "evidence_present",
        ],
    },
]


def seed(apps, schema_editor):
    Configuration = apps.get_model("scoring", "Configuration")
    for row in CONFIGURATIONS:
        Configuration.objects.update_or_create(name=row["name"], defaults=row)


def unseed(apps, schema_editor):
    apps.get_model("scoring", "Configuration").objects.filter(name__in=[r["name"] for r in CONFIGURATIONS]).delete()


class Migration(migrations.Migration):
    dependencies = [("scoring", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
