"""What `signalmesh strategy` prints: the setting in effect, its audit trail, what each mode
means (the README's words, kept equal by a test) and the comparison in the user's numbers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from rich.console import Console
from rich.table import Table

from signalmesh.monitoring.strategy_compare import DestinationComparison, StrategyTotals
from signalmesh.v1 import gateway_pb2, policy_pb2

# The modes in general: which one to choose.
MODES: tuple[tuple[str, str, str], ...] = (
    (
        "strict",
        "only events the platform can attribute, e.g. with a click id (the default)",
        "fewer events, each tied to an ad click: the platform optimises on conversions it can "
        "credit to its ads; organic and untracked conversions are not reported",
    ),
    (
        "send_all",
        "every qualifying event with hashed user data",
        "more events and more value reported, organic ones included: the platform matches them "
        "by hashed email, phone or IP, so match quality matters more",
    ),
)

# Per connector: README.md's "`strict` sends when" and "`send_all` sends when" columns.
CONNECTOR_RULES: Mapping[str, tuple[str, str]] = {
    "meta": (
        "`fbc` present (cookie, or `fbclid` + real click time)",
        "any of em, ph, external_id, IP, fbc, fbp, fn+ln, db+fn, db+ln (Meta's minimum, §1.12)",
    ),
    "ga4": ("`client_id` present", "`client_id` present"),
    "google_ads": (
        "a conversion action and a click id **or** a hashed email/phone "
        "(enhanced conversions, §2B; the status says which path)",
        "the same",
    ),
    "tiktok": ("`ttclid` present", "any of email, phone, external_id, ttclid, ttp"),
    "linkedin": (
        "`li_fat_id` and a conversion rule",
        "(email or `li_fat_id`) and a conversion rule",
    ),
    "webhook": ("an ad click id", "an email, phone, external id or click id"),
}


def strategy_name(strategy: int) -> str:
    return policy_pb2.Strategy.Name(strategy).removeprefix("STRATEGY_").lower()


def _plain(text: str) -> str:
    """README markdown → terminal text."""
    return text.replace("`", "").replace("**", "")


def _when(change: gateway_pb2.StrategyChange) -> str:
    return change.changed_at.ToDatetime().strftime("%Y-%m-%d %H:%M:%S UTC")


def _scope(destination: str) -> str:
    return destination or "(global default)"


def print_overview(overview: gateway_pb2.StrategyOverview, console: Console) -> None:
    setting = Table(title="Conversion strategy (every policy replica decides with it)")
    for column in ("destination", "connector", "strategy", "from"):
        setting.add_column(column)
    setting.add_row(
        "(global default)", "", strategy_name(overview.effective.default_strategy), overview.default_source
    )
    for item in overview.destinations:
        source = "the global default" if item.source == "default" else item.source
        setting.add_row(item.destination, item.connector, strategy_name(item.strategy), source)
    console.print(setting)
    print_changes(overview.changes, console)
    print_modes({item.connector for item in overview.destinations}, console)


def print_changes(changes: Sequence[gateway_pb2.StrategyChange], console: Console) -> None:
    if not changes:
        console.print("no changes yet: signalmesh.toml's setting applies")
        return
    trail = Table(title="Changes (newest first)")
    for column in ("when", "who", "destination", "change"):
        trail.add_column(column)
    for change in changes:
        trail.add_row(_when(change), change.actor, _scope(change.destination), change_text(change))
    console.print(trail)


def change_text(change: gateway_pb2.StrategyChange) -> str:
    return f"{strategy_name(change.previous)} → {strategy_name(change.strategy)}"


def audit_line(change: gateway_pb2.StrategyChange) -> str:
    """One change as a sentence: ``2026-… UTC ops-admin set meta_strict: strict → send_all``."""
    return f"{_when(change)} {change.actor} set {_scope(change.destination)}: {change_text(change)}"


def print_modes(connectors: Iterable[str], console: Console) -> None:
    modes = Table(title="What each mode means")
    for column in ("mode", "sends", "the trade-off"):
        modes.add_column(column)
    for row in MODES:
        modes.add_row(*row)
    console.print(modes)
    rules = Table(title="Per platform")
    for column in ("connector", "strict sends when", "send_all sends when"):
        rules.add_column(column)
    for connector in sorted(set(connectors)):
        strict, send_all = CONNECTOR_RULES.get(connector, ("see the connector's README",) * 2)
        rules.add_row(connector, _plain(strict), _plain(send_all))
    console.print(rules)


def _value(totals: StrategyTotals) -> str:
    return ", ".join(f"{amount:,.2f} {currency}" for currency, amount in sorted(totals.values.items())) or "—"


def print_comparison(
    comparisons: Sequence[DestinationComparison],
    in_effect: Mapping[str, str],
    since_text: str,
    console: Console,
) -> None:
    table = Table(title=f"strict against send_all, live events since {since_text}")
    for column in (
        "destination",
        "in effect",
        "strict: events",
        "strict: value",
        "send_all: events",
        "send_all: value",
        "send_all adds",
    ):
        table.add_column(column)
    for item in comparisons:
        table.add_row(
            item.destination,
            in_effect.get(item.destination, ""),
            f"{item.strict.events:g}",
            _value(item.strict),
            f"{item.send_all.events:g}",
            _value(item.send_all),
            f"+{item.send_all_adds:g}",
        )
    console.print(table)
    console.print(
        "Counted when each event was accepted, under both modes' rules whichever was in effect; "
        "events both modes skip (consent, age, duplicates, outside a rollout) count for neither."
    )
