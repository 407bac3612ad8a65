"""Webhook subscriptions: what Shopify has, compared with what the shop needs.

Framework-free: ``compare`` turns Shopify's list of the app's subscriptions, the topics
the shop enables, its webhook URL and API version into findings, one per topic or
surplus subscription; ``register_actions`` says which of them a registration fixes.
"""

from dataclasses import dataclass

OK = "ok"
MISSING = "missing"
MISROUTED = "misrouted"  # sent to another URL
NOT_JSON = "not_json"
OTHER_VERSION = "other_version"  # serialized with another API version
EXTRA = "extra"  # a topic not enabled, or a second subscription of a topic


def topic_enum(topic: str) -> str:
    """``orders/create`` -> ``ORDERS_CREATE`` (GraphQL's WebhookSubscriptionTopic)."""
    return topic.upper().replace("/", "_")


def topic_name(enum: str) -> str:
    """``INVENTORY_LEVELS_UPDATE`` -> ``inventory_levels/update``."""
    return "/".join(enum.lower().rsplit("_", 1))


@dataclass(frozen=True)
class Finding:
    topic: str
    problems: tuple[str, ...]  # empty: as it should be
    subscription: dict | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def describe(self) -> str:
        sub = self.subscription or {}
        where = f" -> {sub.get('uri')}" if sub else ""
        version = (sub.get("apiVersion") or {}).get("handle")
        detail = f" ({sub.get('format')}, {version})" if sub else ""
        state = ", ".join(self.problems) or OK
        return f"{self.topic}: {state}{where}{detail}"


def described_states(text: str) -> dict[str, str]:
    """``{topic: state}`` read back from the lines ``Finding.describe`` wrote: "ok",
    or its problems ("missing", "misrouted, not_json"...); a topic's first line is the
    subscription that counts (a second one is "extra")."""
    states: dict[str, str] = {}
    for line in (text or "").splitlines():
        topic, sep, rest = line.partition(": ")
        if sep:
            states.setdefault(topic, rest.split(" -> ")[0])
    return states


def compare(
    existing: list[dict], topics: list[str], uri: str, api_version: str
) -> list[Finding]:
    """One finding per enabled topic (its subscription, if any, and what is wrong
    with it), then one per surplus subscription."""
    findings, used = [], set()
    for topic in topics:
        candidates = [s for s in existing if s["topic"] == topic_enum(topic)]
        if not candidates:
            findings.append(Finding(topic, (MISSING,)))
            continue
        sub = next((s for s in candidates if s.get("uri") == uri), candidates[0])
        used.add(sub["id"])
        problems = []
        if sub.get("uri") != uri:
            problems.append(MISROUTED)
        if sub.get("format") != "JSON":
            problems.append(NOT_JSON)
        if (sub.get("apiVersion") or {}).get("handle") != api_version:
            problems.append(OTHER_VERSION)
        findings.append(Finding(topic, tuple(problems), sub))
    for sub in existing:
        if sub["id"] not in used:
            findings.append(Finding(topic_name(sub["topic"]), (EXTRA,), sub))
    return findings


def register_actions(
    findings: list[Finding], topics: list[str], uri: str
) -> list[tuple[str, Finding]]:
    """What a registration does: ("create", f) for a missing topic, ("update", f) to
    route a subscription to ``uri`` in JSON, ("delete", f) for a surplus subscription
    of an enabled topic (it would deliver twice, or to another server) or one sending
    this Odoo a topic it does not handle. A subscription of another topic sending
    elsewhere, and another API version (the app's setting), are left for a person."""
    actions = []
    for finding in findings:
        if MISSING in finding.problems:
            actions.append(("create", finding))
        elif EXTRA in finding.problems:
            if finding.topic in topics or finding.subscription.get("uri") == uri:
                actions.append(("delete", finding))
        elif MISROUTED in finding.problems or NOT_JSON in finding.problems:
            actions.append(("update", finding))
    return actions
