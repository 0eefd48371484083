"""mailbot.proof: what proves a mail's From: — the organisation's server (Authentication-Results
above its own Received:) or a DKIM signature the bot verifies, aligned with the From: domain."""

from __future__ import annotations

import pytest

from mailbot.config import TrustSection
from mailbot.proof import SenderProof, prove_sender
from tests.dkim_keys import DnsStub, make_key, sign

OURS = "mail.corp.example"
ALICE = "alice@corp.example"
AR_ONLY = TrustSection(authserv_id=OURS, verify_dkim=False)
DKIM_ONLY = TrustSection(authserv_id="", verify_dkim=True, dns_timeout_seconds=2.5)

# Our server took the mail from the organisation's Exchange Online tenant.
OUR_RECEIVED = (
    "Received: from mail-sg2apc01on2101.outbound.protection.outlook.com (mail-sg2apc01on2101.outbound.protection.outlook.com [40.107.215.101])\r\n"
    "\tby mail.corp.example (Postfix) with ESMTPS id 4Qx1Lm2Zz9z9sBh\r\n"
    "\tfor <mailbot@corp.example>; Tue, 1 Dec 2026 09:00:02 +0800 (CST)"
)
OUTLOOK_HOPS = (
    "Received: from SEZPR06MB5269.apcprd06.prod.outlook.com (2603:1096:101:1a::9) by\r\n"
    " SEZPR06MB6432.apcprd06.prod.outlook.com (2603:1096:101:4c::11) with Microsoft\r\n"
    " SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id\r\n"
    " 15.20.7270.29; Tue, 1 Dec 2026 01:00:01 +0000",
    "Received: from SEZPR06MB5269.apcprd06.prod.outlook.com\r\n"
    " ([fe80::3a1c:9e2b:7d41:c0aa]) by SEZPR06MB5269.apcprd06.prod.outlook.com\r\n"
    " ([fe80::3a1c:9e2b:7d41:c0aa%7]) with mapi id 15.20.7270.029; Tue, 1 Dec 2026\r\n"
    " 01:00:00 +0000",
)
EVIL_RECEIVED = (
    "Received: from [203.0.113.66] (unknown [203.0.113.66])\r\n"
    "\tby smtp.evil.example (Postfix) with ESMTPSA id 8F2A1C0042\r\n"
    "\tfor <mailbot@corp.example>; Tue, 1 Dec 2026 08:59:58 +0800 (CST)"
)


def ar(results: str, authserv_id: str = OURS) -> str:
    return f"Authentication-Results: {authserv_id};\r\n\t" + results.replace("; ", ";\r\n\t")


def mail(*trace: str, sender: str = "Alice Wang <alice@corp.example>", body: str = "") -> bytes:
    """An Outlook-like mail from `sender` to the bot, under the trace fields given (top first)."""
    head = [
        *trace,
        f"From: {sender}",
        "To: Mailbot <mailbot@corp.example>",
        "Subject: =?utf-8?B?5Lya6K6u57qq6KaB?= Q1 budget review",
        "Thread-Topic: Q1 budget review",
        "Thread-Index: AdpE3Vb2m7o0lQ1cS7yJx0cH1mF2Ag==",
        "Date: Tue, 1 Dec 2026 01:00:00 +0000",
        "Message-ID: <SEZPR06MB52691A2B3C4D5E6F7A8B9C0DA1B2C@SEZPR06MB5269.apcprd06.prod.outlook.com>",
        "Accept-Language: zh-CN, en-US",
        "Content-Language: zh-CN",
        "X-MS-Has-Attach:",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="utf-8"',
        "Content-Transfer-Encoding: 8bit",
    ]
    text = body or "Decisions:\r\n- Budget approved.\r\nActions:\r\n- Zhang Wei: send the plan by Friday.\r\n"
    return ("\r\n".join(head) + "\r\n\r\n" + text).encode()


def vouched(results: str, *, authserv_id: str = OURS) -> bytes:
    """The ordinary layout: our server's verdict on top, its Received: below, then the sender's hops."""
    return mail(ar(results, authserv_id), OUR_RECEIVED, *OUTLOOK_HOPS)


DMARC_PASS = "dkim=pass header.d=corp.example header.s=selector1 header.b=Xq3v; spf=pass smtp.mailfrom=corp.example; dmarc=pass action=none header.from=corp.example"


# --- the server vouches: Authentication-Results ---


def test_our_server_saying_dmarc_pass_proves_the_sender() -> None:
    proof = prove_sender(vouched(DMARC_PASS), ALICE, AR_ONLY)
    assert proof == SenderProof("authres", "dmarc=pass header.from=corp.example")


def test_authserv_id_and_results_compare_case_insensitively() -> None:
    raw = mail(
        ar("DMARC=Pass header.from=Corp.Example", "Mail.Corp.Example"), OUR_RECEIVED.replace(OURS, "MAIL.corp.example")
    )
    assert prove_sender(raw, ALICE, AR_ONLY) == SenderProof("authres", "dmarc=pass header.from=corp.example")
    assert prove_sender(vouched(DMARC_PASS), ALICE, TrustSection(authserv_id="MAIL.Corp.Example.", verify_dkim=False))


def test_another_servers_verdict_does_not_count() -> None:
    raw = mail(ar(DMARC_PASS, "mx.partner.example"), OUR_RECEIVED, *OUTLOOK_HOPS)
    assert prove_sender(raw, ALICE, AR_ONLY) is None


def test_dmarc_pass_for_another_domain_does_not_count() -> None:
    raw = vouched("dmarc=pass header.from=evil.example")
    assert prove_sender(raw, ALICE, AR_ONLY) is None


@pytest.mark.parametrize(
    ("results", "detail"),
    [
        ("dkim=pass header.d=corp.example header.s=selector1", "dkim=pass header.d=corp.example"),
        ("dkim=pass header.i=@corp.example header.s=selector1", "dkim=pass header.d=corp.example"),
        ("dkim=pass header.i=alice@hr.corp.example", "dkim=pass header.d=hr.corp.example"),
        ("dkim=pass header.d=mail.corp.example", "dkim=pass header.d=mail.corp.example"),
    ],
)
def test_aligned_dkim_pass_proves(results: str, detail: str) -> None:
    assert prove_sender(vouched(results), ALICE, AR_ONLY) == SenderProof("authres", detail)


@pytest.mark.parametrize(
    "results",
    [
        "dkim=pass header.d=evil.example",
        "dkim=pass header.d=corp.example.evil.example",
        "dkim=pass header.d=notcorp.example",
        "dkim=pass header.d=example",  # a bare TLD aligns with nothing
        "dkim=pass header.i=@evil.example",
        "dkim=fail header.d=corp.example",
        "dkim=pass",
        "dmarc=fail header.from=corp.example; dkim=pass header.d=evil.example",
        "dmarc=none header.from=corp.example; dkim=pass header.d=evil.example",
        "dmarc=temperror header.from=corp.example",
    ],
)
def test_unaligned_or_failed_results_do_not_prove(results: str) -> None:
    assert prove_sender(vouched(results), ALICE, AR_ONLY) is None


def test_dmarc_fail_overrules_a_looser_alignment() -> None:
    # Strict DMARC alignment (adkim=s) failed: our relaxed rule must not say otherwise.
    raw = vouched("dkim=pass header.d=mail.corp.example; dmarc=fail (p=reject) header.from=corp.example")
    assert prove_sender(raw, ALICE, AR_ONLY) is None


def test_aligned_spf_pass_proves() -> None:
    raw = vouched(
        "spf=pass (sender IP is 40.107.215.101) smtp.mailfrom=bounces+alice@corp.example smtp.helo=APC01-SG2-obe.outbound.protection.outlook.com"
    )
    assert prove_sender(raw, ALICE, AR_ONLY) == SenderProof("authres", "spf=pass smtp.mailfrom=corp.example")


@pytest.mark.parametrize(
    "results",
    [
        "spf=pass smtp.mailfrom=alice@evil.example",
        "spf=softfail smtp.mailfrom=corp.example",
        "spf=pass smtp.helo=corp.example",
    ],
)
def test_unaligned_or_failed_spf_does_not_prove(results: str) -> None:
    assert prove_sender(vouched(results), ALICE, AR_ONLY) is None


def test_a_forged_verdict_below_an_outside_received_does_not_count() -> None:
    # The forger wrote "our" header; his own server put its Received: on top of it.
    raw = mail(OUR_RECEIVED, EVIL_RECEIVED, ar(DMARC_PASS))
    assert prove_sender(raw, ALICE, AR_ONLY) is None


def test_a_verdict_without_our_servers_received_does_not_count() -> None:
    assert prove_sender(mail(ar(DMARC_PASS), EVIL_RECEIVED), ALICE, AR_ONLY) is None
    assert prove_sender(mail(ar(DMARC_PASS)), ALICE, AR_ONLY) is None


def test_only_our_own_verdict_counts_when_a_forged_one_is_below() -> None:
    forged = ar(DMARC_PASS)
    ours_fail = ar("spf=fail smtp.mailfrom=corp.example; dmarc=fail header.from=corp.example")
    assert prove_sender(mail(ours_fail, OUR_RECEIVED, EVIL_RECEIVED, forged), ALICE, AR_ONLY) is None
    ours_pass = ar("spf=pass smtp.mailfrom=corp.example")
    forged_dmarc = ar("dmarc=pass header.from=corp.example")
    proof = prove_sender(mail(ours_pass, OUR_RECEIVED, EVIL_RECEIVED, forged_dmarc), ALICE, AR_ONLY)
    assert proof == SenderProof("authres", "spf=pass smtp.mailfrom=corp.example")


def test_verdict_below_our_own_received_counts() -> None:
    # Postfix with milters: its Received: on top, the milters' verdicts right under it.
    raw = mail(OUR_RECEIVED, ar("dmarc=pass header.from=corp.example"), *OUTLOOK_HOPS)
    assert prove_sender(raw, ALICE, AR_ONLY) == SenderProof("authres", "dmarc=pass header.from=corp.example")


def test_gmail_layout_with_later_internal_hop_on_top() -> None:
    trace = (
        "Delivered-To: mailbot@corp.example",
        "Received: by 2002:a05:7010:8c4a:b0:3f1:2a6c:9d1e with SMTP id h10csp2290133mdq;\r\n        Mon, 7 Dec 2026 03:52:40 -0800 (PST)",
        "X-Received: by 2002:a17:906:1bb1:b0:a44:1fd7:a2e9 with SMTP id r17mr1178925ejg.3;\r\n        Mon, 7 Dec 2026 03:52:40 -0800 (PST)",
        "Return-Path: <alice@corp.example>",
        "Received: from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41])\r\n"
        "        by mx.google.com with SMTPS id a640c23a62f3a-a45c1f9b2e4sor1234567ejb.7.2026.12.07.03.52.40\r\n"
        "        for <mailbot@corp.example>; Mon, 07 Dec 2026 03:52:40 -0800 (PST)",
        "Received-SPF: pass (google.com: domain of alice@corp.example designates 209.85.220.41 as permitted sender) client-ip=209.85.220.41;",
        "Authentication-Results: mx.google.com;\r\n"
        "       dkim=pass header.i=@corp.example header.s=google header.b=Qm4sT1vA;\r\n"
        "       spf=pass (google.com: domain of alice@corp.example designates 209.85.220.41 as permitted sender) smtp.mailfrom=alice@corp.example;\r\n"
        "       dmarc=pass (p=QUARANTINE sp=QUARANTINE dis=NONE) header.from=corp.example",
        "Received: by mail-sor-f41.google.com with SMTP id a640c23a62f3a-a45c1f9b2e4so123456ejb.7\r\n"
        "        for <mailbot@corp.example>; Mon, 07 Dec 2026 03:52:40 -0800 (PST)",
        # Below the sender's hop: not Google's; counted, its fail would veto the real pass.
        "Authentication-Results: mx.google.com; dmarc=fail header.from=corp.example",
    )
    trust = TrustSection(authserv_id="mx.google.com", verify_dkim=False)
    assert prove_sender(mail(*trace), ALICE, trust) == SenderProof("authres", "dmarc=pass header.from=corp.example")


@pytest.mark.parametrize(
    "value",
    [
        b";;;",
        b"",
        b"mail.corp.example",
        b"mail.corp.example; dmarc",
        b"mail.corp.example; dmarc=pass header.from=",
        b"mail.corp.example; dmarc=pass header.from=corp.example (unclosed",
        b'mail.corp.example; dmarc=pass header.from=corp.example; "',
        b"mail.corp.example; dmarc=pass header.from=corp.example \xff\xfe\x00 junk",
        b"mail.corp.example (" * 3000 + b"; dmarc=pass header.from=corp.example",
        b"mail.corp.example; " + b"dkim=pass header.d=evil.example; " * 5000 + b"dmarc=pass header.from=corp.example",
        b"mail.corp.example; dmarc=pass header.from=" + b"a." * 50000 + b"corp.example",
        b'mail.corp.example; dmarc=pass "' + b"\\x" * 20000,
    ],
)
def test_garbage_verdicts_count_for_nothing_and_never_raise(value: bytes) -> None:
    raw = b"Authentication-Results: " + value + b"\r\n" + mail(OUR_RECEIVED)
    assert prove_sender(raw, ALICE, AR_ONLY) is None


def test_no_authserv_id_configured_ignores_every_verdict() -> None:
    assert prove_sender(vouched(DMARC_PASS), ALICE, TrustSection(authserv_id="", verify_dkim=False)) is None


def test_a_verdict_in_the_body_is_not_a_header() -> None:
    raw = mail(OUR_RECEIVED, body="Authentication-Results: mail.corp.example; dmarc=pass header.from=corp.example\r\n")
    assert prove_sender(raw, ALICE, AR_ONLY) is None


def test_an_address_without_a_domain_has_no_proof() -> None:
    assert prove_sender(vouched(DMARC_PASS), "alice", AR_ONLY) is None
    assert prove_sender(vouched(DMARC_PASS), "", AR_ONLY) is None


# --- the bot verifies a DKIM signature itself ---


def signed(
    selector: str = "sel1",
    domain: str = "corp.example",
    *,
    length: bool = False,
    include_headers: list[bytes] | None = None,
) -> tuple[bytes, DnsStub]:
    """An Outlook-like mail signed by `domain`'s outbound server, then received by ours."""
    pem, dns_txt = make_key(selector, domain)
    raw = sign(mail(*OUTLOOK_HOPS), selector, domain, pem, length=length, include_headers=include_headers)
    return OUR_RECEIVED.encode() + b"\r\n" + raw, dns_txt


def test_a_valid_aligned_signature_proves() -> None:
    raw, dns_txt = signed()
    assert prove_sender(raw, ALICE, DKIM_ONLY, dns_txt) == SenderProof("dkim", "dkim d=corp.example s=sel1")
    assert dns_txt.calls == [b"sel1._domainkey.corp.example."]


def test_a_subdomain_signature_is_aligned() -> None:
    raw, dns_txt = signed("s2026", "mail.corp.example")
    assert prove_sender(raw, ALICE, DKIM_ONLY, dns_txt) == SenderProof("dkim", "dkim d=mail.corp.example s=s2026")


def test_the_dns_lookup_gets_the_configured_timeout() -> None:
    raw, dns_txt = signed()
    timeouts: list[float] = []

    def recording(name: bytes, timeout: float = 5) -> bytes:
        timeouts.append(timeout)
        return dns_txt(name, timeout=timeout)

    assert prove_sender(raw, ALICE, DKIM_ONLY, recording) is not None
    assert timeouts == [2.5]


def test_a_body_changed_after_signing_does_not_prove() -> None:
    raw, dns_txt = signed()
    tampered = raw.replace(b"Budget approved.", b"Budget rejected.")
    assert tampered != raw
    assert prove_sender(tampered, ALICE, DKIM_ONLY, dns_txt) is None


def test_a_from_changed_after_signing_does_not_prove() -> None:
    raw, dns_txt = signed()
    tampered = raw.replace(b"From: Alice Wang <alice@corp.example>", b"From: Bob Li <bob@corp.example>")
    assert prove_sender(tampered, "bob@corp.example", DKIM_ONLY, dns_txt) is None


def test_a_second_from_added_after_signing_does_not_prove() -> None:
    raw, dns_txt = signed()
    tampered = b"From: Bob Li <bob@corp.example>\r\n" + raw
    assert prove_sender(tampered, "bob@corp.example", DKIM_ONLY, dns_txt) is None


def test_another_domains_signature_does_not_prove_and_costs_no_lookup() -> None:
    raw, dns_txt = signed("sel1", "other.example")
    assert prove_sender(raw, ALICE, DKIM_ONLY, dns_txt) is None
    assert dns_txt.calls == []


def test_a_body_length_signature_does_not_prove() -> None:
    raw, dns_txt = signed(length=True)
    assert b" l=" in raw or b";l=" in raw or b"\tl=" in raw
    appended = raw + b"\r\nPS: also cancel the Friday meeting.\r\n"
    assert prove_sender(raw, ALICE, DKIM_ONLY, dns_txt) is None
    assert prove_sender(appended, ALICE, DKIM_ONLY, dns_txt) is None


def test_a_signature_not_covering_from_does_not_prove() -> None:
    raw, dns_txt = signed(include_headers=[b"subject", b"date", b"message-id", b"to"])
    assert prove_sender(raw, ALICE, DKIM_ONLY, dns_txt) is None


def test_the_aligned_signature_among_several_proves() -> None:
    # A mailing list or gateway added its own signature on top of the author's.
    raw, dns_txt = signed()
    pem, other_dns = make_key("list", "lists.partner.example")
    raw = sign(raw, "list", "lists.partner.example", pem)
    dns_txt.records.update(other_dns.records)
    assert prove_sender(raw, ALICE, DKIM_ONLY, dns_txt) == SenderProof("dkim", "dkim d=corp.example s=sel1")
    assert dns_txt.calls == [b"sel1._domainkey.corp.example."]


def test_at_most_five_signatures_are_tried() -> None:
    raw, dns_txt = signed()
    junk = "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/simple; d=corp.example; s=nokey; h=from; bh=AAAA; b=AAAA\r\n"
    assert prove_sender((junk * 5).encode() + raw, ALICE, DKIM_ONLY, dns_txt) is None
    assert len(dns_txt.calls) == 5
    assert prove_sender((junk * 4).encode() + raw, ALICE, DKIM_ONLY, dns_txt) is not None


@pytest.mark.parametrize(
    "answer",
    [
        b"",
        b"v=DKIM1; k=rsa; p=",
        b"v=DKIM1; k=rsa; p=!!notbase64!!",
        b"v=DKIM1; k=rsa; p=TUlJQklqQU5C",
        b"\xff\x00;;==",
    ],
)
def test_a_missing_or_broken_key_does_not_prove(answer: bytes) -> None:
    raw, _ = signed()
    assert prove_sender(raw, ALICE, DKIM_ONLY, lambda name, timeout=5: answer) is None


@pytest.mark.parametrize("error", [TimeoutError("dns timeout"), OSError("network unreachable"), ValueError("bad")])
def test_a_failing_dns_lookup_does_not_prove(error: Exception) -> None:
    raw, _ = signed()

    def failing(name: bytes, timeout: float = 5) -> bytes:
        raise error

    assert prove_sender(raw, ALICE, DKIM_ONLY, failing) is None


def test_a_key_for_another_selector_does_not_prove() -> None:
    raw, _ = signed("sel1")
    _, wrong = make_key("sel2", "corp.example")
    wrong.records = {"sel1._domainkey.corp.example": next(iter(wrong.records.values()))}
    assert prove_sender(raw, ALICE, DKIM_ONLY, wrong) is None


def test_dkim_off_never_looks_anything_up() -> None:
    raw, dns_txt = signed()
    assert prove_sender(raw, ALICE, TrustSection(authserv_id="", verify_dkim=False), dns_txt) is None
    assert dns_txt.calls == []


def test_a_mail_without_signature_costs_no_lookup() -> None:
    stub = DnsStub()
    assert prove_sender(mail(OUR_RECEIVED, *OUTLOOK_HOPS), ALICE, DKIM_ONLY, stub) is None
    assert stub.calls == []


def test_the_servers_word_comes_first_and_spares_the_lookup() -> None:
    raw, dns_txt = signed()
    raw = ar(DMARC_PASS).encode() + b"\r\n" + raw
    both = TrustSection(authserv_id=OURS, verify_dkim=True)
    assert prove_sender(raw, ALICE, both, dns_txt) == SenderProof("authres", "dmarc=pass header.from=corp.example")
    assert dns_txt.calls == []


@pytest.mark.parametrize(
    "signature",
    [
        b"DKIM-Signature: ;;;===",
        b"DKIM-Signature: v=1; d=corp.example; d=corp.example",
        b"DKIM-Signature: v=1; a=rsa-sha256; d=corp.example; s=sel1; h=from; bh=\xff\xfe; b=\x00",
        b"DKIM-Signature: v=1; a=rsa-sha256; d=corp.example; s=" + b"a" * 100000 + b"; h=from; bh=AAAA; b=AAAA",
        b"DKIM-Signature: v=1; a=rsa-sha256; d=corp.example; s=sel1; h=from; bh=AAAA; b=AAAA; t=99999999999999",
    ],
)
def test_hostile_signatures_never_raise(signature: bytes) -> None:
    _, dns_txt = signed()
    assert prove_sender(signature + b"\r\n" + mail(OUR_RECEIVED), ALICE, DKIM_ONLY, dns_txt) is None


def test_hostile_header_bytes_never_raise() -> None:
    raw, dns_txt = signed()
    broken = raw.replace(b"Thread-Topic:", b"\x00\xff no colon here\r\nThread-Topic:", 1)
    assert prove_sender(broken, ALICE, DKIM_ONLY, dns_txt) is None


def test_the_server_saw_the_sender_log_in_as_that_mailbox() -> None:
    """Internal mail: Postfix/rspamd write `auth=pass smtp.auth=<login>` for a submission."""
    login_ok = ar("auth=pass smtp.auth=alice@corp.example")
    assert prove_sender(mail(OUR_RECEIVED, login_ok), ALICE, AR_ONLY) == SenderProof(
        "authres", "auth=pass smtp.auth=alice@corp.example"
    )
    assert prove_sender(mail(OUR_RECEIVED, ar("auth=pass smtp.auth=alice")), ALICE, AR_ONLY) is not None
    # Logged in as someone else, writing as Alice: no proof.
    assert prove_sender(mail(OUR_RECEIVED, ar("auth=pass smtp.auth=eve@corp.example")), ALICE, AR_ONLY) is None
    assert prove_sender(mail(OUR_RECEIVED, ar("auth=fail smtp.auth=alice@corp.example")), ALICE, AR_ONLY) is None
