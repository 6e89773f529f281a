"""A rebuilt request shown to an operator carries no credentials."""

from __future__ import annotations

from signalmesh.connector import ConfigField, Destination, HttpRequest
from signalmesh.gateway.masking import MASK, shown_request

SCHEMA = (ConfigField("url", "endpoint"), ConfigField("api_secret", "secret", secret=True))


def request(url: str, body: str) -> HttpRequest:
    return HttpRequest("POST", url, {"Authorization": "Bearer header-secret"}, body.encode(), ("e1",))


def test_the_query_string_and_headers_are_never_shown():
    destination = Destination("ga4", "ga4", {"url": "https://x.test", "api_secret": "s3cr3t-value"})
    shown = shown_request(
        request("https://x.test/mp/collect?api_secret=s3cr3t-value", "{}"), destination, SCHEMA
    )
    assert shown == "POST https://x.test/mp/collect\n{}"


def test_a_secret_in_the_body_is_masked_and_other_settings_are_kept():
    destination = Destination("hook", "webhook", {"url": "https://x.test", "api_secret": "s3cr3t-value"})
    shown = shown_request(
        request("https://x.test/in", '{"token":"s3cr3t-value","to":"https://x.test"}'), destination, SCHEMA
    )
    assert shown == f'POST https://x.test/in\n{{"token":"{MASK}","to":"https://x.test"}}'


def test_a_very_short_secret_is_not_masked_everywhere():
    destination = Destination("hook", "webhook", {"url": "https://x.test", "api_secret": "ab"})
    assert shown_request(request("https://x.test/in", '{"tab":1}'), destination, SCHEMA).endswith('{"tab":1}')
