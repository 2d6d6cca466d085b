"""StrictSerializer gives each serializer instance shallow copies of its declared fields (for speed): each instance
must still have fields of its own, bound to it, and the declared fields must stay unbound templates."""

from identifications.api.organization_inputs import CreateIdentityDocumentIdentificationRequest as Create

BODY = {"name": "James", "identity_document": {"document_number": "12345678Z", "document_type": "NIF"}}


def test_each_instance_binds_fields_of_its_own():
    first, second = Create(data=BODY), Create(data=BODY)
    for name in Create._declared_fields:
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first
        assert second.fields[name].parent is second
        assert Create._declared_fields[name].parent is None
        assert Create._declared_fields[name].field_name is None


def test_nested_serializers_get_their_own_fields_too():
    first, second = Create(data=BODY), Create(data=BODY)
    first_number = first.fields["identity_document"].fields["document_number"]
    second_number = second.fields["identity_document"].fields["document_number"]
    assert first_number is not second_number
    assert first_number.root is first


def test_a_field_changed_on_one_instance_leaves_the_others_alone():
    changed = Create(data={})
    changed.fields["name"].required = True
    assert not changed.is_valid()
    assert Create(data={}).is_valid(), "the change leaked into the declared field"
