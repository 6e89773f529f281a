"""The sandbox's Google Ads endpoint over real HTTP on a free loopback port.

Google answers whole-request failures with an HTTP error and a ``google.rpc.Status`` body, and
row failures with HTTP 200, ``partialFailureError`` and empty ``results`` entries (platforms.md §2B).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
import pytest
from signalmesh.sandbox import SandboxServer, start_sandbox
from signalmesh.sandbox.client import SandboxControl

TOKEN = "sandbox-token"
CUSTOMER = "1234567890"
START = 1_795_176_060.0  # 2026-11-20 12:01:00 UTC
UPLOAD = f"/v25/customers/{CUSTOMER}:uploadClickConversions"


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    server = await start_sandbox(tokens=(TOKEN,), clock=lambda: START, rng=random.Random(20261123))
    yield server
    await server.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


@pytest.fixture
async def control(sandbox: SandboxServer) -> AsyncIterator[SandboxControl]:
    async with SandboxControl(sandbox.url) as client:
        yield client


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def conversion(order_id: str | None = "order-1", **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "gclid": "Cj0KCQiA1234567890abcdef",
        "conversionAction": f"customers/{CUSTOMER}/conversionActions/987654321",
        "conversionDateTime": "2026-11-20 12:00:00+00:00",
        "conversionValue": 29.99,
        "currencyCode": "USD",
        "userIdentifiers": [
            {"hashedEmail": sha256("janedoe@gmail.com"), "userIdentifierSource": "FIRST_PARTY"}
        ],
    }
    if order_id is not None:
        row["orderId"] = order_id
    return row | changes


def upload_body(*conversions: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"conversions": list(conversions), "partialFailure": True} | top


async def upload(
    http: aiohttp.ClientSession,
    sandbox: SandboxServer,
    body: Any,
    *,
    token: str | None = TOKEN,
    developer_token: str | None = "dev-token",
    path: str = UPLOAD,
) -> tuple[int, dict[str, Any]]:
    headers: dict[str, str] = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if developer_token is not None:
        headers["developer-token"] = developer_token
    async with http.post(sandbox.url + path, json=body, headers=headers) as response:
        return response.status, await response.json()


def located(error: Mapping[str, Any]) -> tuple[str, int, str]:
    """(``category.CODE``, row index, first field inside the row) of a GoogleAdsError."""
    [(category, code)] = error["errorCode"].items()
    elements = error["location"]["fieldPathElements"]
    assert elements[0]["fieldName"] == "conversions"
    return f"{category}.{code}", elements[0]["index"], elements[1]["fieldName"] if len(elements) > 1 else ""


async def test_valid_upload_answers_a_result_per_row_and_is_recorded(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    rows = [conversion("order-1"), conversion("order-2")]
    status, body = await upload(http, sandbox, upload_body(*rows))
    assert status == 200 and "partialFailureError" not in body
    assert [result["conversionDateTime"] for result in body["results"]] == ["2026-11-20 12:00:00+00:00"] * 2
    recorded = await control.events("google_ads", CUSTOMER)
    assert (recorded.events, recorded.duplicates) == (rows, 0)
    assert (await control.stats())["google_ads"]["accepted_events"] == 2


async def test_bad_rows_fail_alone_with_their_index_and_an_empty_result(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    rows = [
        conversion("order-1"),
        conversion("order-2", userIdentifiers=[{"hashedEmail": "jane.doe@gmail.com"}]),
        conversion("order-3", conversionDateTime="2026-11-20 12:00:00"),
        conversion("order-4", wbraid="wbraid_ABCDEFGHIJ"),
        conversion("order-5"),
    ]
    status, body = await upload(http, sandbox, upload_body(*rows))
    assert status == 200
    assert [bool(result) for result in body["results"]] == [True, False, False, False, True]
    failure = body["partialFailureError"]
    assert failure["code"] == 3
    [detail] = failure["details"]
    assert detail["@type"] == "type.googleapis.com/google.ads.googleads.v25.errors.GoogleAdsFailure"
    assert detail["requestId"]
    assert [located(error) for error in detail["errors"]] == [
        ("conversionUploadError.INVALID_USER_IDENTIFIER", 1, "user_identifiers"),
        ("dateError.INVALID_STRING_DATE_TIME_SECONDS_WITH_OFFSET", 2, "conversion_date_time"),
        ("fieldError.VALUE_MUST_BE_UNSET", 3, "wbraid"),
    ]
    recorded = await control.events("google_ads", CUSTOMER)
    assert [row["orderId"] for row in recorded.events] == ["order-1", "order-5"]


async def test_gbraid_and_wbraid_together_is_googles_own_code(
    http: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    both = conversion(gbraid="0AAAAAgbraid123456", wbraid="wbraid_ABCDEFGHIJ")
    del both["gclid"]
    _, body = await upload(http, sandbox, upload_body(both))
    [error] = body["partialFailureError"]["details"][0]["errors"]
    assert located(error) == ("conversionUploadError.GBRAID_WBRAID_BOTH_SET", 0, "wbraid")


@pytest.mark.parametrize(
    ("token", "developer_token", "status", "rpc_status", "code"),
    [
        (None, "dev-token", 401, "UNAUTHENTICATED", None),
        ("ya29.expired", "dev-token", 401, "UNAUTHENTICATED", "OAUTH_TOKEN_INVALID"),
        (TOKEN, None, 400, "INVALID_ARGUMENT", "DEVELOPER_TOKEN_PARAMETER_MISSING"),
    ],
)
async def test_refused_credentials_are_a_google_rpc_status_and_nothing_is_recorded(
    token: str | None,
    developer_token: str | None,
    status: int,
    rpc_status: str,
    code: str | None,
    http: aiohttp.ClientSession,
    sandbox: SandboxServer,
    control: SandboxControl,
) -> None:
    answer_status, body = await upload(
        http, sandbox, upload_body(conversion()), token=token, developer_token=developer_token
    )
    error = body["error"]
    assert (answer_status, error["code"], error["status"]) == (status, status, rpc_status)
    codes = [
        next(iter(item["errorCode"].values())) for item in error.get("details", [{}])[0].get("errors", [])
    ]
    assert codes == ([code] if code else [])
    assert (await control.events("google_ads", CUSTOMER)).events == []
    assert (await control.stats())["google_ads"]["rejected_requests"] == 1


async def test_a_revoked_token_is_refused_from_then_on(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    assert (await upload(http, sandbox, upload_body(conversion("order-1"))))[0] == 200
    await control.change_tokens(revoke=[TOKEN])
    status, body = await upload(http, sandbox, upload_body(conversion("order-2")))
    assert (status, body["error"]["status"]) == (401, "UNAUTHENTICATED")


async def test_more_than_2000_conversions_fail_the_whole_request(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    status, body = await upload(http, sandbox, upload_body(*[conversion(f"o-{n}") for n in range(2001)]))
    assert (status, body["error"]["status"]) == (400, "INVALID_ARGUMENT")
    [error] = body["error"]["details"][0]["errors"]
    assert error["errorCode"] == {"conversionUploadError": "TOO_MANY_CONVERSIONS_IN_REQUEST"}
    assert (await control.events("google_ads", CUSTOMER)).events == []


async def test_2000_conversions_are_accepted(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    status, body = await upload(http, sandbox, upload_body(*[conversion(f"o-{n}") for n in range(2000)]))
    assert status == 200 and len(body["results"]) == 2000
    assert len((await control.events("google_ads", CUSTOMER)).events) == 2000


async def test_partial_failure_off_is_refused(http: aiohttp.ClientSession, sandbox: SandboxServer) -> None:
    status, body = await upload(http, sandbox, upload_body(conversion(), partialFailure=False))
    assert status == 400
    [error] = body["error"]["details"][0]["errors"]
    assert error["errorCode"] == {"partialFailureError": "PARTIAL_FAILURE_MODE_REQUIRED"}


async def test_validate_only_checks_the_rows_and_records_nothing_live(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    good, bad = conversion("order-1"), conversion("order-2", currencyCode="usd")
    status, body = await upload(http, sandbox, upload_body(good, bad, validateOnly=True))
    assert status == 200 and "results" not in body
    [error] = body["partialFailureError"]["details"][0]["errors"]
    assert located(error) == ("currencyCodeError.UNSUPPORTED", 1, "currency_code")
    assert (await control.events("google_ads", CUSTOMER)).events == []
    assert (await control.events("google_ads", CUSTOMER, test=True)).events == [good]
    stats = (await control.stats())["google_ads"]
    assert (stats["accepted_events"], stats["test_events"]) == (0, 1)
    # A later live upload of the same order is not a duplicate: validate_only recorded nothing.
    status, body = await upload(http, sandbox, upload_body(good))
    assert status == 200 and "partialFailureError" not in body


async def test_a_repeated_order_id_is_refused_as_already_in_use_and_within_a_request_as_duplicate(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    await upload(http, sandbox, upload_body(conversion("order-1")))
    _, body = await upload(
        http, sandbox, upload_body(conversion("order-1"), conversion("order-2"), conversion("order-2"))
    )
    errors = body["partialFailureError"]["details"][0]["errors"]
    assert [located(error) for error in errors] == [
        ("conversionUploadError.ORDER_ID_ALREADY_IN_USE", 0, "order_id"),
        ("conversionUploadError.DUPLICATE_ORDER_ID", 2, "order_id"),
    ]
    assert [bool(result) for result in body["results"]] == [False, True, False]
    recorded = await control.events("google_ads", CUSTOMER)
    assert [row["orderId"] for row in recorded.events] == ["order-1", "order-2"]


async def test_the_same_click_and_time_without_order_id_is_already_recorded(
    http: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    await upload(http, sandbox, upload_body(conversion(None)))
    _, body = await upload(http, sandbox, upload_body(conversion(None)))
    [error] = body["partialFailureError"]["details"][0]["errors"]
    assert located(error) == (
        "conversionUploadError.CLICK_CONVERSION_ALREADY_EXISTS",
        0,
        "conversion_date_time",
    )


async def test_injected_429_is_resource_exhausted_with_retry_after(
    http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    await control.inject(platform="google_ads", status=429, retry_after=3, count=1)
    async with http.post(
        sandbox.url + UPLOAD,
        json=upload_body(conversion()),
        headers={"Authorization": f"Bearer {TOKEN}", "developer-token": "dev"},
    ) as response:
        assert (response.status, response.headers["Retry-After"]) == (429, "3")
        assert (await response.json())["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert (await upload(http, sandbox, upload_body(conversion())))[0] == 200


@pytest.mark.parametrize(("status", "rpc_status"), [(500, "INTERNAL"), (503, "UNAVAILABLE")])
async def test_injected_server_error_is_a_google_rpc_status(
    status: int, rpc_status: str, http: aiohttp.ClientSession, sandbox: SandboxServer, control: SandboxControl
) -> None:
    await control.inject(platform="google_ads", status=status, count=1)
    answer_status, body = await upload(http, sandbox, upload_body(conversion()))
    assert (answer_status, body["error"]["status"]) == (status, rpc_status)
    assert (await control.events("google_ads", CUSTOMER)).events == []


async def test_a_conversion_action_of_another_account_is_not_found(
    http: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    other = conversion(conversionAction="customers/999/conversionActions/1")
    _, body = await upload(http, sandbox, upload_body(other))
    [error] = body["partialFailureError"]["details"][0]["errors"]
    assert located(error) == ("conversionUploadError.NO_CONVERSION_ACTION_FOUND", 0, "conversion_action")


async def test_customer_id_with_dashes_is_refused(
    http: aiohttp.ClientSession, sandbox: SandboxServer
) -> None:
    status, body = await upload(
        http, sandbox, upload_body(conversion()), path="/v25/customers/123-456-7890:uploadClickConversions"
    )
    assert status == 400
    assert body["error"]["details"][0]["errors"][0]["errorCode"] == {"requestError": "INVALID_CUSTOMER_ID"}


async def test_health_lists_google_ads(sandbox: SandboxServer, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{sandbox.url}/_sandbox/health") as response:
        assert "google_ads" in (await response.json())["platforms"]
