"""Dates of service as exports write them (notecheck.dates)."""

from __future__ import annotations

import datetime as dt

import pytest

from notecheck.dates import DateError, check_date_format, parse_service_date

JUNE_1 = dt.date(2025, 6, 1)


@pytest.mark.parametrize(
    "value",
    [
        "2025-06-01", "2025-06-01T14:30", "2025-06-01T14:30:00Z", "2025-06-01 14:30:00.000+02:00", "2025/06/01",
        "06/01/2025", "6/1/2025", "6/1/25", "06-01-2025", "06/01/2025 14:30", "06/01/2025 2:30 PM",
        "20250601", "20250601143000", "Jun 1, 2025", "June 1st, 2025", "1 June 2025", "01-JUN-2025", " 06/01/2025 ",
    ],
)
def test_dates_common_forms_read_without_options(value):
    assert parse_service_date(value) == JUNE_1


@pytest.mark.parametrize(
    "value, fmt",
    [("01/06/2025", "%d/%m/%Y"), ("01.06.2025", "%d.%m.%Y"), ("2025-152", "%Y-%j")],
)
def test_dates_date_format_is_tried_first(value, fmt):
    assert parse_service_date(value, fmt) == JUNE_1


def test_dates_two_digit_years_follow_strptime():
    assert parse_service_date("1/2/68").year == 2068
    assert parse_service_date("1/2/69").year == 1969


@pytest.mark.parametrize(
    "value, says",
    [
        ("13/06/2025", "--date-format %d/%m/%Y"),  # day first is never guessed
        ("2025-02-30", "not a valid date"),
        ("1850-01-01", "outside"),
        ("next tuesday", "known date form"),
        ("", "known date form"),
    ],
)
def test_dates_unreadable_says_why(value, says):
    with pytest.raises(DateError) as info:
        parse_service_date(value)
    assert says in info.value.message


@pytest.mark.parametrize("value", ["pain in left knee 2025", "Mr Smith 06/01/2025"])
def test_dates_message_quotes_only_date_like_values(value):
    with pytest.raises(DateError) as info:
        parse_service_date(value)
    assert value not in info.value.message and "characters" in info.value.message


def test_dates_message_quotes_a_date_like_value():
    with pytest.raises(DateError) as info:
        parse_service_date("31/12/2025")
    assert "'31/12/2025'" in info.value.message


@pytest.mark.parametrize("fmt", ["%Q", "dd/mm/yyyy"])
def test_dates_bad_date_format_is_refused(fmt):
    with pytest.raises(DateError):
        check_date_format(fmt)


@pytest.mark.parametrize("value", ["06/01/2025", "06/01/2025 14:30", "06/01/2025 2:30 PM", "06/01/2025T14:30:00"])
def test_dates_date_format_reads_the_date_part_before_a_time(value):
    """--date-format %d/%m/%Y once read "06/01/2025" as January 6 but "06/01/2025 14:30" as June 1."""
    assert parse_service_date(value, "%d/%m/%Y") == dt.date(2025, 1, 6)


def test_dates_with_a_date_format_a_slash_date_is_never_read_month_first():
    with pytest.raises(DateError, match="fits neither the format %d.%m.%Y"):
        parse_service_date("06/01/2025", "%d.%m.%Y")
    assert parse_service_date("2025-06-01", "%d.%m.%Y") == dt.date(2025, 6, 1)  # unambiguous forms still read
