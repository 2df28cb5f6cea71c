"""The one error enum (shared/errors.py): codes that cannot merge, and the one field-error join."""



from shared.errors import field_messages, joined_messages


def test_field_messages_join_each_fields_messages():
    assert field_messages({"name": ["太长", "不能为空"], "phone": "格式不对", "n": [3]}) == \
        {"name": "太长；不能为空", "phone": "格式不对", "n": "3"}
    assert joined_messages([]) == "" and field_messages({}) == {}
