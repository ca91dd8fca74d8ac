import pytest

from optimus.domain.errors import InvalidInput
from optimus.domain.names import MAX_KEY_LENGTH, is_valid_key, validate_name


@pytest.mark.parametrize("key", ["a", "A-z_0.9", "user-123", "x" * MAX_KEY_LENGTH, "..."])
def test_optimus_alphabet_is_accepted(key: str) -> None:
    assert is_valid_key(key)
    assert validate_name("key", key, max_length=MAX_KEY_LENGTH) == key


@pytest.mark.parametrize(
    "key",
    ["", ".", "..", "a/b", "a b", "é", "a%20", "a|b", "x" * (MAX_KEY_LENGTH + 1), None, 3, b"k"],
)
def test_keys_unsafe_in_urls_or_stores_are_refused(key: object) -> None:
    assert not is_valid_key(key)
    with pytest.raises(InvalidInput):
        validate_name("key", key, max_length=MAX_KEY_LENGTH)


def test_error_names_the_field_and_the_rule() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_name("dataset", "bad name")
    assert "dataset" in caught.value.message
    assert "[A-Za-z0-9-_.]" in caught.value.message
    assert caught.value.details["field"] == "dataset"
