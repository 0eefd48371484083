from mailbot import tokens

KEY = b"secret"


def test_a_token_verifies_only_for_the_recipient_it_was_issued_to() -> None:
    token = tokens.issue(KEY, "A-12", "zhang.wei@corp.example")
    assert token.startswith("A12.")
    assert tokens.verify(KEY, token, "Zhang.Wei@corp.example") == "A-12"
    assert tokens.verify(KEY, token, "li.na@corp.example") is None
    assert tokens.verify(b"other key", token, "zhang.wei@corp.example") is None


def test_a_forged_or_altered_token_is_refused() -> None:
    token = tokens.issue(KEY, "M-3", "li.na@corp.example")
    forged = "M4" + token[2:]
    assert tokens.verify(KEY, forged, "li.na@corp.example") is None
    assert tokens.verify(KEY, "garbage", "li.na@corp.example") is None
    assert tokens.verify(KEY, token.upper(), "li.na@corp.example") == "M-3"


def test_plus_address_carries_the_token() -> None:
    assert tokens.plus_address("minutes@corp.example", "A12.abcdefghij") == "minutes+A12.abcdefghij@corp.example"
