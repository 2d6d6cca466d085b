"""A person whose document reads back exactly as declared: the Spanish TD1 of tests/scoring/test_mrz.py."""

import base64
import io

from PIL import Image

from tests.api.helpers import BASE

DECLARED = {
    "name": "José María",
    "last_name": "García Márquez",
    "identity_document": {"document_number": "12345678Z", "document_type": "NIF", "country": "ES"},
    "configuration_name": "HIGH",
}

MRZ = [
    "IDESPCAB123456012345678Z<<<<<<",
    "8503127M3001019ESP<<<<<<<<<<<9",
    "GARCIA<MARQUEZ<<JOSE<MARIA<<<<",
]

MATCHING_METADATA = {
    "document_number": "12345678Z",
    "document_type": "NIF",
    "country": "ES",
    "name": "JOSE MARIA",
    "last_name": "GARCIA MARQUEZ",
    "birth_date": "1985-03-12",
    "expiry_date": "2030-01-01",
    "mrz": MRZ,
}

DEVICE = {
    "x-installation-id": "install-1",
    "x-fingerprint": "fp-abc",
    "x-location": "40.4168,-3.7038",
    "User-Agent": "IdentityApp/2.1 (Android 14)",
}


def image_base64(image_format="PNG", size=(32, 20)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=image_format)
    return base64.b64encode(buffer.getvalue()).decode()


def validate_url(identification_id, org="acme"):
    return f"{BASE.format(org=org)}/{identification_id}/validate"


def retrieve_url(identification_id, org="acme"):
    return f"{BASE.format(org=org)}/{identification_id}"
