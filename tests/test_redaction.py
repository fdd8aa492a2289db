from __future__ import annotations

import logging

import pytest

from alarmtui.domain import clean_text
from alarmtui.redaction import SecretFilter, redact_url


def test_verisure_url_secrets_are_redacted() -> None:
    url = "https://mob2217.securitasdirect.es:12010/WebService/ws.do?request=EST1&ID=AND_x&user=ana&pwd=p%40ss&hash=11111111111&numinst=1"
    out = redact_url(url)
    assert "p%40ss" not in out and "p@ss" not in out and "11111111111" not in out and "user=ana" not in out
    assert "request=EST1" in out and "numinst=1" in out


def test_userinfo_is_redacted() -> None:
    assert "secret" not in redact_url("https://bob:secret@example.com/x")


def test_log_filter_scrubs_registered_secrets(caplog: pytest.LogCaptureFixture) -> None:
    secret_filter = SecretFilter()
    secret_filter.add(["hunter22", "tok-ABCDEF"])
    logger = logging.getLogger("alarmtui.test.redaction")
    logger.addFilter(secret_filter)
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.info("login with %s got %s", "hunter22", "tok-ABCDEF")
    assert caplog.records[0].getMessage() == "login with *** got ***"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Front\x1b[31m door", "Front door"),  # the whole escape sequence goes, not only ESC
        ("Line\nbreak\tand\rreturn", "Line break and return"),
        ("bidi\u202eevil", "bidievil"),
        (None, ""),
        (42, "42"),
    ],
)
def test_clean_text_strips_control_characters(raw: object, clean: str) -> None:
    assert clean_text(raw) == clean


def test_clean_text_limits_length() -> None:
    assert len(clean_text("x" * 1000, limit=10)) == 10


def test_a_huge_vendor_field_is_cut_before_it_is_cleaned() -> None:
    """Every vendor's text goes through clean_text, which cuts a huge field first (its cost is in the parse
    benchmark); what survives the cut is still cleaned, and a sequence cut in half leaves no ESC behind."""
    from alarmtui.domain.text import clean_text

    huge = "Hall\x1b[31m\u202e" + "x" * 15_000_000
    cleaned = clean_text(huge, 80)
    assert len(cleaned) == 80 and cleaned.startswith("Hallx") and "\x1b" not in cleaned and "\u202e" not in cleaned
    cut_in_half = "y" * (4 * 80 + 60) + "\x1b]52;c;" + "A" * 1000
    assert "\x1b" not in clean_text(cut_in_half, 80)
