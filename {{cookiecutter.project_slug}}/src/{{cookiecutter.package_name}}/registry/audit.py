"""The registry's audit trail, pure: events as version tags, the history table, which versions
`make retire` archives, and which version a champion superseded.

An event is one tag on each version it concerns: key `audit.<UTC time>.<action>`, value a small
JSON record (who, commit, alias changes, what it replaced, why). One tag per event, rather than
one `audit` tag rewritten each time, keeps every event of a version whatever happens later,
needs no read-modify-write (two writers cannot drop each other's events) and sorts by time.
MLflow tag keys take letters, digits and `_-. /:` (no colon on Windows), so the key's time is
written without colons: `audit.20261202T071250.123456Z.promote`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ..vocabulary import (
    ARCHIVED,
    AUDIT_TAG_PREFIX,
    CHAMPION,
    LIFECYCLE_TAG,
    REGISTER,
    RETIRE,
    TEST_PREFIX,
    VERDICT_TAG,
)

KEY_TIME = "%Y%m%dT%H%M%S.%fZ"
# A verdict or a reason is a line, not a document: one tag stays small.
MAX_WHY = 500
# Commits are shown like git's abbreviations, long enough to stay unique.
SHORT_COMMIT = 12
NOT_RECORDED = "-"


@dataclass(frozen=True)
class Stamp:
    """Who acted, when (UTC) and from which commit."""

    who: str
    when: datetime
    commit: str


@dataclass(frozen=True)
class Event:
    """What one registry command did to one version."""

    version: str
    action: str  # vocabulary.REGISTER, PROMOTE or RETIRE
    changes: tuple[str, ...]  # "+champion", "-challenger", "archived"
    stamp: Stamp
    why: str
    replaced: str | None = None  # the version that held the alias this one took
    replaced_by: str | None = None  # the version that took an alias from this one, or
    # (retirement) the version that superseded it


def gained(alias: str) -> str:
    return f"+{alias}"


def lost(alias: str) -> str:
    return f"-{alias}"


def tag(event: Event) -> tuple[str, str]:
    """The event as one version tag: (key, JSON value)."""
    when = event.stamp.when.astimezone(UTC)
    record: dict[str, object] = {
        "who": event.stamp.who,
        "when": when.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "commit": event.stamp.commit,
        "changes": list(event.changes),
        "why": event.why[:MAX_WHY],
    }
    if event.replaced:
        record["replaced"] = event.replaced
    if event.replaced_by:
        record["replaced_by"] = event.replaced_by
    return f"{AUDIT_TAG_PREFIX}{when.strftime(KEY_TIME)}.{event.action}", json.dumps(record)


def parse(version: str, key: str, value: str) -> Event | None:
    """The event a version tag records; None for any other tag (or a mangled one)."""
    if not key.startswith(AUDIT_TAG_PREFIX):
        return None
    # The key's time, to the microsecond, orders events; the record's is for people.
    moment, _, action = key.removeprefix(AUDIT_TAG_PREFIX).rpartition(".")
    try:
        when = datetime.strptime(moment, KEY_TIME).replace(tzinfo=UTC)
        record = json.loads(value)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    stamp = Stamp(str(record.get("who", "unknown")), when, str(record.get("commit", "unknown")))
    replaced, replaced_by = record.get("replaced"), record.get("replaced_by")
    return Event(
        version, action, tuple(str(change) for change in record.get("changes", [])), stamp,
        str(record.get("why", "")),
        replaced=None if replaced is None else str(replaced),
        replaced_by=None if replaced_by is None else str(replaced_by),
    )  # fmt: skip


def events_of(version: str, tags: Mapping[str, str]) -> list[Event]:
    """A version's events, oldest first."""
    events = (parse(version, key, value) for key, value in tags.items())
    return sorted((event for event in events if event), key=lambda event: event.stamp.when)


def alias_moved(
    stamp: Stamp,
    action: str,
    why: str,
    alias: str,
    to: str,
    previous: str | None,
    dropped: Iterable[str] = (),
) -> list[Event]:
    """The events of `alias` moving to version `to` from `previous` (None: nobody held it),
    `to` giving up the `dropped` aliases on the way (a version is champion or challenger)."""
    previous = None if previous == to else previous
    changes = (gained(alias), *(lost(other) for other in dropped))
    events = [Event(to, action, changes, stamp, why, replaced=previous)]
    if previous is not None:
        events.append(Event(previous, action, (lost(alias),), stamp, why, replaced_by=to))
    return events


@dataclass(frozen=True)
class Version:
    """A registered version as the audit trail sees it."""

    version: str
    run_id: str
    aliases: tuple[str, ...]
    tags: Mapping[str, str]
    description: str
    created: datetime

    @property
    def number(self) -> int:
        return int(self.version)

    @property
    def archived(self) -> bool:
        return self.tags.get(LIFECYCLE_TAG) == ARCHIVED


# The history table.


@dataclass(frozen=True)
class Row:
    version: str
    changes: str
    when: datetime
    who: str
    metric: str
    commit: str
    why: str


def describe(event: Event) -> str:
    """`+champion (replaced v1), -challenger`, `-champion (to v2)`, `archived (superseded by
    v2)`: the alias changes and the version on the other side of the first one."""
    changes = list(event.changes) or ["no change"]
    if event.replaced:
        changes[0] += f" (replaced v{event.replaced})"
    if event.replaced_by:
        other = "superseded by" if changes[0] == ARCHIVED else "to"
        changes[0] += f" ({other} v{event.replaced_by})"
    return ", ".join(changes)


def score(version: Version, metric: str) -> str:
    value = version.tags.get(f"{TEST_PREFIX}{metric}")
    try:
        return NOT_RECORDED if value is None else f"{metric} {float(value):.4f}"
    except ValueError:
        return f"{metric} {value}"


def timeline(versions: Iterable[Version], metric: str) -> list[Row]:
    """Every event of every version, newest first (the version registered before the audit
    trail existed shows its registration, from the registry's own record)."""
    rows = []
    for version in versions:
        events = events_of(version.version, version.tags)
        rows += [
            Row(version.version, describe(event), event.stamp.when, event.stamp.who,
                score(version, metric), event.stamp.commit[:SHORT_COMMIT], event.why)
            for event in events
        ]  # fmt: skip
        if not any(event.action == REGISTER for event in events):
            verdict = version.tags.get(VERDICT_TAG)
            changes = f"{gained(verdict) if verdict else 'registered'} (before the audit trail)"
            rows.append(
                Row(version.version, changes, version.created, NOT_RECORDED,
                    score(version, metric), NOT_RECORDED, NOT_RECORDED)
            )  # fmt: skip
    return sorted(rows, key=lambda row: (row.when, int(row.version)), reverse=True)


def cell(text: str) -> str:
    """Text that stays inside one markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|") or NOT_RECORDED


def history_table(model: str, rows: Sequence[Row], last: int | None = None) -> str:
    """The timeline as markdown, the newest `last` rows (all when None)."""
    shown = rows[:last] if last else rows
    scope = f", the last {len(shown)} of {len(rows)} events" if len(shown) < len(rows) else ""
    out = [f"## Registry history: `{model}` (newest first{scope})", ""]
    if not rows:
        return "\n".join([*out, "No version registered yet.", ""])
    out += [
        "| version | alias changes | when (UTC) | who | metric | commit | why |",
        "|---:|---|---|---|---|---|---|",
    ]
    for row in shown:
        when = row.when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        cells = [row.version, row.changes, when, row.who, row.metric, f"`{row.commit}`", row.why]
        out.append("| " + " | ".join(cell(text) for text in cells) + " |")
    return "\n".join(out) + "\n"


# Retirement.


@dataclass(frozen=True)
class Retirement:
    version: str
    superseded_by: str | None


@dataclass(frozen=True)
class RetirePlan:
    keep: int
    archive: tuple[Retirement, ...]  # newest first
    held: tuple[Version, ...]  # old enough, but holding an alias: never touched
    archived: tuple[str, ...]  # retired before: skipped


def retire_plan(versions: Iterable[Version], keep: int) -> RetirePlan:
    """Which versions older than the newest `keep` to archive: those holding no alias and not
    archived yet. Each is superseded by the champion of the moment, or else the next version."""
    if keep < 0:
        raise ValueError(f"keep the newest 0 or more versions, not {keep}")
    ordered = sorted(versions, key=lambda version: version.number, reverse=True)
    champion = next((v.version for v in ordered if CHAMPION in v.aliases), None)
    archive, held, archived = [], [], []
    for position, version in enumerate(ordered[keep:], start=keep):
        if version.aliases:
            held.append(version)
        elif version.archived:
            archived.append(version.version)
        else:
            newer = ordered[position - 1].version if position else None
            archive.append(Retirement(version.version, champion or newer))
    return RetirePlan(keep, tuple(archive), tuple(held), tuple(archived))


def retirement_why(keep: int) -> str:
    return f"retired: older than the newest {keep} versions and holding no alias"


def retired(stamp: Stamp, retirement: Retirement, keep: int) -> Event:
    return Event(
        retirement.version, RETIRE, (ARCHIVED,), stamp, retirement_why(keep),
        replaced_by=retirement.superseded_by,
    )  # fmt: skip


def retired_description(previous: str, retirement: Retirement, when: datetime) -> str:
    """The archived version's description: what superseded it, then what it said before."""
    successor = retirement.superseded_by
    note = f"Archived on {when.astimezone(UTC):%Y-%m-%d} by `make retire`: " + (
        f"superseded by version {successor}." if successor else "no version superseded it."
    )
    return f"{note}\n\n{previous}" if previous else note


# The model card.


def succession(events: Iterable[Event]) -> tuple[str | None, str | None]:
    """(the version this one replaced as champion, the version that replaced it) from its
    events; a version promoted again supersedes afresh."""
    supersedes = superseded_by = None
    for event in sorted(events, key=lambda event: event.stamp.when):
        if gained(CHAMPION) in event.changes:
            supersedes, superseded_by = event.replaced, None
        elif lost(CHAMPION) in event.changes or ARCHIVED in event.changes:
            superseded_by = event.replaced_by or superseded_by
    return supersedes, superseded_by
