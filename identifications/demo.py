"""The published seed's own create request (/work/shared/seeds: "Request example"), in one place: `seed_demo` prints
it as the curl example and the tests send it (tests/api/helpers.SEED_BODY). Its document number's control letter is
wrong on purpose (the right one is Z): validations of it fail `document_control_character`."""

SEED_REQUEST_BODY = {
    "name": "James",
    "last_name": "Smith",
    "identity_document": {"document_number": "12345678A", "document_type": "NIF", "country": "ES"},
    "configuration_name": "HIGH",
    "expires_in": "P7D",
    "scoring": {"provider": "INTERNAL"},
}
