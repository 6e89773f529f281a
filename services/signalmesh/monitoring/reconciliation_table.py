"""A ``Reconciliation`` as the terminal shows it (`signalmesh reconcile`): one rich table of
counts and checks per day × event name, the concrete ids to look up, the browser/server overlap
and the no-click-id share. Pure: returns renderables; the CLI prints them."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from signalmesh.monitoring import formatting
from signalmesh.monitoring.reconciliation import (
    DIFFERENCES,
    PASS,
    WARN,
    ZERO_OVERLAP,
    PairCheck,
    Reconciliation,
    utc_day,
)

_STYLES = {PASS: "green", WARN: "bold yellow"}


def render_reconciliation_table(reconciliation: Reconciliation) -> Group:
    parts: list[RenderableType] = [_counts(reconciliation)]
    ids = _ids(reconciliation)
    if ids.row_count:
        parts.append(ids)
    parts.append(_overlap(reconciliation))
    parts.append(_no_click_id(reconciliation))
    parts.append(Text(f"result: {reconciliation.result}", style=_STYLES[reconciliation.result]))
    return Group(*parts)


def _counts(reconciliation: Reconciliation) -> Table:
    tolerances = reconciliation.tolerances
    table = Table(
        title=f"reconciliation {utc_day(reconciliation.since)} to {utc_day(reconciliation.until)} (UTC)"
    )
    for column in ("day", "event", "browser", "server", "by destination", "crm"):
        table.add_column(column, justify="right" if column in ("browser", "server", "crm") else "left")
    table.add_column(f"server vs browser (≤ {formatting.percent(tolerances.server_vs_browser)})")
    table.add_column(f"crm vs server (≤ {formatting.percent(tolerances.crm_vs_server)})")
    table.add_column(f"browser vs crm (≤ {formatting.percent(tolerances.browser_vs_crm)})")
    table.add_column("value server / crm")
    for day in reconciliation.days:
        table.add_row(
            day.day,
            day.event_name,
            "—" if day.browser is None else str(day.browser),
            str(day.server),
            ", ".join(f"{name} {count}" for name, count in day.server_by_destination.items()),
            str(day.crm),
            _check(day.server_vs_browser),
            _check(day.crm_vs_server),
            _check(day.browser_vs_crm),
            "\n".join(
                f"{currency} {amounts.server} / {amounts.crm}" for currency, amounts in day.value.items()
            ),
        )
    return table


def _check(checked: PairCheck) -> Text:
    if checked.discrepancy is None:
        return Text(checked.result, style="dim")
    return Text(f"{formatting.percent(checked.discrepancy)} {checked.result}", style=_STYLES[checked.result])


def _ids(reconciliation: Reconciliation) -> Table:
    table = Table(title="ids to look up")
    for column in ("day", "event", "difference", "ids"):
        table.add_column(column)
    for day in reconciliation.days:
        for name in DIFFERENCES:
            found = day.missing[name]
            if not found.ids:
                continue
            more = f" … and {found.more} more" if found.more else ""
            table.add_row(day.day, day.event_name, name.replace("_", " "), ", ".join(found.ids) + more)
    return table


def _overlap(reconciliation: Reconciliation) -> Text:
    overlap = reconciliation.overlap
    style = "bold yellow" if overlap.message == ZERO_OVERLAP else ""
    return Text(f"browser/server overlap: {overlap.message}", style=style)


def _no_click_id(reconciliation: Reconciliation) -> Text:
    total = reconciliation.no_click_id.total
    per_destination = ", ".join(
        f"{name} {share.without_click_id}/{share.delivered}"
        for name, share in reconciliation.no_click_id.by_destination.items()
    )
    return Text(
        f"delivered without a click id: {total.without_click_id} of {total.delivered} "
        f"({formatting.percent(total.share)})" + (f" — {per_destination}" if per_destination else "")
    )
