"""Google's email rule, the one the GA4 and Google Ads connectors share (platforms.md §2C, G10)."""

from __future__ import annotations

import pytest
from signalmesh.normalize.emails import google_email


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        (" Cloudy.SanFrancisco+shopping@gmail.com ", "cloudysanfrancisco@gmail.com"),
        ("first.last@GoogleMail.com", "firstlast@googlemail.com"),
        ("user.name+NYC@Example.com", "user.name+nyc@example.com"),
        ("jane doe@example.com", "janedoe@example.com"),
    ],
)
def test_google_email_lower_cases_and_drops_gmail_dots_and_tags(raw: str, normalised: str) -> None:
    assert google_email(raw) == normalised


@pytest.mark.parametrize("raw", ["", "not an address", "+tag@gmail.com", "..@gmail.com", "a@b"])
def test_what_is_no_address_is_dropped(raw: str) -> None:
    assert google_email(raw) is None
