"""Addresses answered without email-validator (mailbot/addresses.py, issue 15 "Speed"): the plain
ones, which the library would take unchanged, are never sent to it, and it is not even imported
until an address needs it. Every plain address must be one the library accepts as it is."""

from __future__ import annotations

import random
from pathlib import Path

import email_validator
import pytest

from mailbot import addresses
from mailbot.addresses import _plain, address_problem, deliverable_address
from tests.helpers import printed_json

ROOT = Path(__file__).resolve().parent.parent


def library(address: str) -> tuple[str | None, str]:
    """What address_problem and deliverable_address answered when they always asked the library."""
    addresses._validator()  # its special-use list cleared, as for every call
    try:
        checked = email_validator.validate_email(
            address, check_deliverability=False, allow_smtputf8=True, globally_deliverable=False
        )
    except email_validator.EmailNotValidError as exc:
        return (str(exc) if len(address) <= 254 else "longer than 254 characters"), address
    if len(address) > 254:
        return "longer than 254 characters", checked.ascii_email or checked.normalized
    return None, checked.ascii_email or checked.normalized


PLAIN_LOCAL, PLAIN_DOMAIN = "abcxyz019" * 4 + "._+-", "abcxyz019" * 4 + "-."
LOCAL = PLAIN_LOCAL + "ABZ!#$%&'*/=?^`{|}~\"\\ (),:;<>[]éß张\u0130\u212a\u00ad"
DOMAIN = PLAIN_DOMAIN + "ABZ_é张\u3002\uff0e"


def generated(count: int) -> list[str]:
    """Addresses of the plain shape's characters (doubled, leading and trailing separators
    included) and of many more: case, punctuation, Unicode, Punycode, labels and local parts at
    and past their length limits."""
    rng = random.Random(15)
    made = []
    for _ in range(count):
        near = rng.random() < 0.6
        local_chars, domain_chars = (PLAIN_LOCAL, PLAIN_DOMAIN) if near else (LOCAL, DOMAIN)
        local = "".join(rng.choice(local_chars) for _ in range(rng.choice((1, 2, 5, 12, 63, 64, 65, 70))))
        labels = [
            "".join(rng.choice(domain_chars) for _ in range(rng.choice((1, 3, 8, 62, 63, 64))))
            for _ in range(rng.choice((1, 2, 3, 5)))
        ]
        if rng.random() < 0.1:
            labels[0] = rng.choice(("xn--", "ab--", "xn--fsqu00a.", "a-")) + labels[0]
        made.append(f"{local}@{'.'.join(labels)}")
    return made


EXAMPLES = [
    "li.na@corp.example", "wang_fang+minutes@mail.corp.example", "a@b.c", "a-b.c_d+e@x-y.z", "user1@corp.example",
    "a..b@corp.example", ".a@corp.example", "a.@corp.example", "a@-corp.example", "a@corp-.example",
    "a@corp..example", "a@xn--fsqu00a.xn--55qx5d", "a@ab--cd.example", "Li.Na@Corp.Example", "postmaster@corp.example",
    "a@localhost", "a@corp.local", "a@123.456", "用户@例子.公司", "a" * 64 + "@corp.example", "a" * 65 + "@corp.example",
    "a@" + "b" * 63 + ".example", "a@" + "b" * 64 + ".example", "a@" + ".".join(["b" * 60] * 4) + ".ex",
    "a@b.c\n", "a@b.c ", " a@b.c", "a@b@c.d", "",
]  # fmt: skip


@pytest.mark.parametrize("address", EXAMPLES)
def test_an_address_gets_the_libraries_answer(address: str) -> None:
    assert (address_problem(address), deliverable_address(address)) == library(address)


def test_every_plain_address_is_one_the_library_takes_unchanged() -> None:
    plain = 0
    for address in generated(6000):
        if _plain(address):
            plain += 1
            assert library(address) == (None, address), address
        assert (address_problem(address), deliverable_address(address)) == library(address), address
    assert plain > 500  # the shape was really exercised


def test_plain_addresses_do_not_load_the_library_and_others_do() -> None:
    code = (
        "import json, sys\n"
        "from mailbot.addresses import address_problem, deliverable_address, is_valid_address\n"
        "answers = [is_valid_address('li.na@corp.example'), deliverable_address('zhang.wei@mail.corp.example')]\n"
        "before = 'email_validator' in sys.modules\n"
        "answers += [deliverable_address('user@例子.公司'), address_problem('a..b@corp.example') is not None]\n"
        "print(json.dumps([answers, before, 'email_validator' in sys.modules]))\n"
    )
    answers, before, after = printed_json(code)
    assert answers == [True, "zhang.wei@mail.corp.example", "user@xn--fsqu00a.xn--55qx5d", True]
    assert (before, after) == (False, True)
