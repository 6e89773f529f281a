"""Reconciliation of the three layers: a pure comparison of id sets per UTC day × event name.

browser (what the pixel fired) · server (what the mesh delivered) · CRM (what the business
recorded). Loading the inputs is ``reconciliation_inputs``; the JSON document and the
discrepancy alert are ``reconciliation_json`` (fields in the README, "Monitoring"); the terminal
table is ``reconciliation_table``.

How the layers are matched
- Every layer is counted in *distinct event ids* (an event delivered to three destinations is
  one server event; ``server_by_destination`` shows each). Only live deliveries count.
- A CRM row is matched by its ``event_id`` when it has one, else by its ``order_id`` compared
  with the server's event ids: sites that use the order id as the event id (the usual dedup
  key for purchases) reconcile without an extra column.
- Ids are compared per event name over the whole [since, until) range, then listed under the
  day of the layer that has them, so an event whose CRM time falls just past midnight is not
  reported missing twice.

Tolerances (``Tolerances``): a pair is WARN when ``|subject - reference| / reference`` is
strictly beyond its tolerance (a reference of 0 against a non-zero subject is 100 %):
server vs browser 5 %, CRM vs server 10 %. The browser's 0 % ("it must fire on intent") is
applied against the CRM, the business's own record of intent: any difference in count between
browser firings and CRM records is WARN. Pairs with the browser layer are "N/A" when no browser
layer was given.
"""

from __future__ import annotations

import calendar
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from signalmesh.monitoring import formatting
from signalmesh.monitoring.history import DAY, LIVE
from signalmesh.store.base import DeliveryRecord, Observation

PASS, WARN, NOT_APPLICABLE = "PASS", "WARN", "N/A"
ZERO_OVERLAP = "0 % overlap: your browser and server event ids do not match"
# Id lists are for a person to look up; the rest is a count ("more").
DEFAULT_ID_LIMIT = 20

# The id differences, named "<layer that has them>_not_in_<layer that lacks them>".
SERVER_NOT_IN_CRM = "server_not_in_crm"  # e.g. a Lead fired on a failed form submission
CRM_NOT_IN_SERVER = "crm_not_in_server"  # an order the mesh never saw
BROWSER_NOT_IN_SERVER = "browser_not_in_server"
SERVER_NOT_IN_BROWSER = "server_not_in_browser"
DIFFERENCES = (SERVER_NOT_IN_CRM, CRM_NOT_IN_SERVER, BROWSER_NOT_IN_SERVER, SERVER_NOT_IN_BROWSER)


@dataclass(frozen=True, slots=True)
class CrmRecord:
    """One row of the business's own records. ``line`` is where it came from, for messages."""

    event_name: str
    event_time: float
    event_id: str = ""
    order_id: str = ""
    value: Decimal | None = None
    currency: str = ""
    line: int = 0

    @property
    def match_id(self) -> str:
        return self.event_id or self.order_id


@dataclass(frozen=True, slots=True)
class Tolerances:
    server_vs_browser: float = 0.05
    crm_vs_server: float = 0.10
    browser_vs_crm: float = 0.0


@dataclass(frozen=True, slots=True)
class PairCheck:
    """``subject`` vs ``reference`` (counts); discrepancy is a fraction, None when N/A."""

    subject: int | None
    reference: int | None
    tolerance: float
    discrepancy: float | None
    result: str


@dataclass(frozen=True, slots=True)
class IdList:
    ids: tuple[str, ...] = ()
    more: int = 0


@dataclass(frozen=True, slots=True)
class CurrencyValue:
    server: Decimal
    crm: Decimal


@dataclass(frozen=True, slots=True)
class DayResult:
    day: str  # YYYY-MM-DD (UTC)
    event_name: str
    browser: int | None
    server: int
    crm: int
    server_by_destination: dict[str, int]
    server_vs_browser: PairCheck
    crm_vs_server: PairCheck
    browser_vs_crm: PairCheck
    value: dict[str, CurrencyValue]
    missing: dict[str, IdList]

    @property
    def result(self) -> str:
        checks = (self.server_vs_browser, self.crm_vs_server, self.browser_vs_crm)
        return WARN if any(check.result == WARN for check in checks) else PASS


@dataclass(frozen=True, slots=True)
class Overlap:
    """Browser/server events sharing an event id: the ones the platforms deduplicate."""

    browser: int | None
    server: int
    both: int
    share_of_server: float | None
    share_of_browser: float | None
    message: str


@dataclass(frozen=True, slots=True)
class ClickIdShare:
    delivered: int
    without_click_id: int

    @property
    def share(self) -> float | None:
        return self.without_click_id / self.delivered if self.delivered else None


@dataclass(frozen=True, slots=True)
class NoClickId:
    """Deliveries (one per event × destination) without an ad click id: what ``send_all``
    adds over ``strict``, the inflation platforms may not attribute."""

    total: ClickIdShare
    by_destination: dict[str, ClickIdShare] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reconciliation:
    since: float
    until: float
    tolerances: Tolerances
    days: list[DayResult]
    overlap: Overlap
    no_click_id: NoClickId
    browser_supplied: bool

    @property
    def result(self) -> str:
        return WARN if any(day.result == WARN for day in self.days) else PASS


def reconcile(
    browser: Sequence[Observation] | None,
    server: Sequence[DeliveryRecord],
    crm: Sequence[CrmRecord],
    since: float,
    until: float,
    tolerances: Tolerances = Tolerances(),
    id_limit: int = DEFAULT_ID_LIMIT,
) -> Reconciliation:
    """Compare the layers over event times in [since, until). ``browser`` None means no browser
    layer was given (its pairs are N/A); an empty list means the site reported nothing."""
    deliveries = [record for record in server if record.mode == LIVE and since <= record.event_time < until]
    crm_rows = [record for record in crm if since <= record.event_time < until and record.match_id]
    observations = None if browser is None else [item for item in browser if since <= item.event_time < until]

    server_layer = _Layer.of((r.event_name, r.event_id, r.event_time) for r in deliveries)
    crm_layer = _Layer.of((r.event_name, r.match_id, r.event_time) for r in crm_rows)
    browser_layer = (
        None
        if observations is None
        else _Layer.of((o.event_name, o.event_id, o.event_time) for o in observations)
    )
    keys = set(server_layer.by_day) | set(crm_layer.by_day)
    if browser_layer is not None:
        keys |= set(browser_layer.by_day)

    differences = {
        SERVER_NOT_IN_CRM: server_layer.not_in(crm_layer),
        CRM_NOT_IN_SERVER: crm_layer.not_in(server_layer),
        BROWSER_NOT_IN_SERVER: browser_layer.not_in(server_layer) if browser_layer else {},
        SERVER_NOT_IN_BROWSER: server_layer.not_in(browser_layer) if browser_layer else {},
    }
    by_destination = _server_by_destination(deliveries)
    values = _values(deliveries, crm_rows)
    days = []
    for key in sorted(keys):
        server_count = len(server_layer.by_day.get(key, ()))
        crm_count = len(crm_layer.by_day.get(key, ()))
        browser_count = None if browser_layer is None else len(browser_layer.by_day.get(key, ()))
        days.append(
            DayResult(
                day=key[0],
                event_name=key[1],
                browser=browser_count,
                server=server_count,
                crm=crm_count,
                server_by_destination=dict(sorted(by_destination.get(key, {}).items())),
                server_vs_browser=check(server_count, browser_count, tolerances.server_vs_browser),
                crm_vs_server=check(crm_count, server_count, tolerances.crm_vs_server),
                browser_vs_crm=check(browser_count, crm_count, tolerances.browser_vs_crm),
                value=values.get(key, {}),
                missing={name: _capped(differences[name].get(key, []), id_limit) for name in DIFFERENCES},
            )
        )
    return Reconciliation(
        since=since,
        until=until,
        tolerances=tolerances,
        days=days,
        overlap=overlap(observations, deliveries),
        no_click_id=no_click_id(deliveries),
        browser_supplied=browser is not None,
    )


def check(subject: int | None, reference: int | None, tolerance: float) -> PairCheck:
    if subject is None or reference is None:
        return PairCheck(subject, reference, tolerance, None, NOT_APPLICABLE)
    # Against nothing, something is all discrepancy and nothing is none.
    discrepancy = abs(subject - reference) / reference if reference else float(subject > 0)
    return PairCheck(subject, reference, tolerance, discrepancy, WARN if discrepancy > tolerance else PASS)


def overlap(observations: Sequence[Observation] | None, deliveries: Sequence[DeliveryRecord]) -> Overlap:
    server_ids = {record.event_id for record in deliveries}
    if observations is None:
        return Overlap(None, len(server_ids), 0, None, None, "no browser layer given")
    browser_ids = {observation.event_id for observation in observations}
    both = len(browser_ids & server_ids)
    share_of_server = both / len(server_ids) if server_ids else None
    share_of_browser = both / len(browser_ids) if browser_ids else None
    if browser_ids and server_ids and both == 0:
        message = ZERO_OVERLAP
    elif share_of_server is None:
        message = "no server events to compare"
    else:
        message = (
            f"{formatting.percent(share_of_server)} of server events share their id with a browser event "
            "(the platforms deduplicate those)"
        )
    return Overlap(len(browser_ids), len(server_ids), both, share_of_server, share_of_browser, message)


def no_click_id(deliveries: Sequence[DeliveryRecord]) -> NoClickId:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for record in deliveries:
        counts[record.destination][0] += 1
        counts[record.destination][1] += 0 if record.has_click_id else 1
    by_destination = {name: ClickIdShare(*counts[name]) for name in sorted(counts)}
    total = ClickIdShare(
        sum(share.delivered for share in by_destination.values()),
        sum(share.without_click_id for share in by_destination.values()),
    )
    return NoClickId(total, by_destination)


def utc_day(epoch: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(epoch))


def day_bounds(day: str) -> tuple[float, float]:
    """``"2026-01-05"`` → the epoch seconds it starts and ends (UTC)."""
    start = float(calendar.timegm(time.strptime(day, "%Y-%m-%d")))
    return start, start + DAY


# --- internals -------------------------------------------------------------------------------
DayKey = tuple[str, str]  # (YYYY-MM-DD, event name)


@dataclass(slots=True)
class _Layer:
    """One layer's distinct ids: per (day, event name), and each id's day per event name."""

    by_day: dict[DayKey, set[str]]
    day_of: dict[str, dict[str, str]]  # event name → id → day (of its first record)

    @classmethod
    def of(cls, records: Iterable[tuple[str, str, float]]) -> _Layer:
        by_day: dict[DayKey, set[str]] = defaultdict(set)
        day_of: dict[str, dict[str, str]] = defaultdict(dict)
        for event_name, event_id, event_time in sorted(records, key=lambda record: record[2]):
            day = day_of[event_name].setdefault(event_id, utc_day(event_time))
            by_day[(day, event_name)].add(event_id)
        return cls(dict(by_day), dict(day_of))

    def not_in(self, other: _Layer) -> dict[DayKey, list[str]]:
        """Ids of this layer that ``other`` lacks (same event name), under this layer's day."""
        result: dict[DayKey, list[str]] = defaultdict(list)
        for event_name, days in self.day_of.items():
            theirs = other.day_of.get(event_name, {})
            for event_id in sorted(days):
                if event_id not in theirs:
                    result[(days[event_id], event_name)].append(event_id)
        return dict(result)


def _server_by_destination(deliveries: Sequence[DeliveryRecord]) -> dict[DayKey, dict[str, int]]:
    ids: dict[DayKey, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for record in deliveries:
        ids[(utc_day(record.event_time), record.event_name)][record.destination].add(record.event_id)
    return {key: {name: len(found) for name, found in per.items()} for key, per in ids.items()}


def _values(
    deliveries: Sequence[DeliveryRecord], crm_rows: Sequence[CrmRecord]
) -> dict[DayKey, dict[str, CurrencyValue]]:
    """Value per currency: the server's once per event id (every destination got the same
    value), the CRM's once per matched id."""
    server: dict[DayKey, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    seen: set[str] = set()
    for record in sorted(deliveries, key=lambda record: record.event_time):
        amount = _decimal(record.value)
        if amount is None or not record.currency or record.event_id in seen:
            continue
        seen.add(record.event_id)
        server[(utc_day(record.event_time), record.event_name)][record.currency.upper()] += amount
    crm: dict[DayKey, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    counted: set[str] = set()
    for row in crm_rows:
        if row.value is None or not row.currency or row.match_id in counted:
            continue
        counted.add(row.match_id)
        crm[(utc_day(row.event_time), row.event_name)][row.currency] += row.value
    result: dict[DayKey, dict[str, CurrencyValue]] = {}
    for key in set(server) | set(crm):
        currencies = sorted(set(server.get(key, {})) | set(crm.get(key, {})))
        result[key] = {
            currency: CurrencyValue(
                server.get(key, {}).get(currency, Decimal(0)), crm.get(key, {}).get(currency, Decimal(0))
            )
            for currency in currencies
        }
    return result


def _decimal(text: str) -> Decimal | None:
    if not text.strip():
        return None
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _capped(ids: Sequence[str], limit: int) -> IdList:
    return IdList(tuple(ids[:limit]), max(len(ids) - limit, 0))
