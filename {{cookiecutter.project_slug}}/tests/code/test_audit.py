"""Unit tests of the registry's audit trail: event tags, the history table, retirement's choice
and a version's succession (pure: no MLflow)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from {{ cookiecutter.package_name }}.registry import audit
from {{ cookiecutter.package_name }}.vocabulary import (
    ARCHIVED,
    AUDIT_TAG_PREFIX,
    CHALLENGER,
    CHAMPION,
    LIFECYCLE_TAG,
    PROMOTE,
    REGISTER,
    RETIRE,
    TEST_PREFIX,
    VERDICT_TAG,
)

T0 = datetime(2026, 12, 2, 7, 12, 50, 123456, tzinfo=UTC)
METRIC = "score"


def stamp(minutes: int = 0, who: str = "octocat") -> audit.Stamp:
    return audit.Stamp(who=who, when=T0 + timedelta(minutes=minutes), commit="c0ffee" * 7)


def version(number: int, *aliases: str, events=(), **tags: str) -> audit.Version:
    """A registered version holding `aliases`, with the tags of `events` and `tags`."""
    recorded = dict(audit.tag(event) for event in events)
    return audit.Version(
        version=str(number), run_id=f"run{number}", aliases=aliases,
        tags={f"{TEST_PREFIX}{METRIC}": "0.9", **recorded, **tags}, description="",
        created=T0 - timedelta(days=1),
    )  # fmt: skip


def test_event_tag_round_trips():
    """An event written as a tag reads back as the same event, to the microsecond."""
    event = audit.Event("2", PROMOTE, ("+champion", "-challenger"), stamp(), "v1 drifts", "1")
    key, value = audit.tag(event)
    assert key.startswith(AUDIT_TAG_PREFIX)
    assert audit.parse("2", key, value) == event


def test_events_of_one_version_never_share_a_key():
    """Two events on one version, even of one action, are two tags: neither overwrites."""
    first = audit.Event("1", REGISTER, ("+champion",), stamp(0), "first")
    later = audit.Event("1", REGISTER, ("-champion",), stamp(1), "second", replaced_by="2")
    retired = audit.Event("1", RETIRE, (ARCHIVED,), stamp(1), "old")
    keys = {audit.tag(event)[0] for event in (first, later, retired)}
    assert len(keys) == 3


def test_event_tag_keys_are_valid_mlflow_tag_names():
    """The key holds only characters MLflow accepts in tag names on every OS (no colon)."""
    key, _ = audit.tag(audit.Event("1", PROMOTE, ("+champion",), stamp(), "why"))
    assert all(c.isalnum() or c in "_-. /" for c in key), key


@pytest.mark.parametrize(
    ("key", "value"),
    [("verdict", "champion"), (f"{AUDIT_TAG_PREFIX}yesterday.promote", "{}"),
     (f"{AUDIT_TAG_PREFIX}20261202T071250.000000Z.promote", "not json")],
    ids=["other-tag", "bad-time", "bad-json"],
)  # fmt: skip
def test_other_and_mangled_tags_are_no_events(key, value):
    """Tags that are not audit events, or were edited by hand into nonsense, are skipped."""
    assert audit.parse("1", key, value) is None


def test_a_new_champion_demotes_the_previous_one_on_both_versions():
    """Moving @champion writes +champion (replaced v1) on the new holder and -champion (to
    v2) on the old one, with the same stamp and reason."""
    new, old = audit.alias_moved(stamp(), REGISTER, "better", CHAMPION, "2", "1")
    assert (new.version, new.changes, new.replaced) == ("2", ("+champion",), "1")
    assert (old.version, old.changes, old.replaced_by) == ("1", ("-champion",), "2")
    assert (new.stamp, new.why) == (old.stamp, old.why)


def test_a_rollback_of_the_challenger_drops_its_alias_in_the_same_event():
    """Promoting the challenger is one event on it: +champion and -challenger together."""
    new, _ = audit.alias_moved(stamp(), PROMOTE, "rollback", CHAMPION, "2", "1", [CHALLENGER])
    assert new.changes == ("+champion", "-challenger")


def test_an_alias_nobody_held_is_one_event():
    """The first champion replaces nothing: one event, on itself."""
    (only,) = audit.alias_moved(stamp(), REGISTER, "first", CHAMPION, "1", None)
    assert only.replaced is None


def registry_after_a_rollback() -> list[audit.Version]:
    """v1 champion, v2 challenger, then v2 promoted by hand (v1 demoted)."""
    moves = [
        *audit.alias_moved(stamp(0), REGISTER, "@champion: first", CHAMPION, "1", None),
        *audit.alias_moved(stamp(1), REGISTER, "@challenger: tie", CHALLENGER, "2", None),
        *audit.alias_moved(stamp(2, "alice"), PROMOTE, "v1 drifts", CHAMPION, "2", "1",
                           [CHALLENGER]),
    ]  # fmt: skip
    return [
        version(1, events=[e for e in moves if e.version == "1"]),
        version(2, CHAMPION, events=[e for e in moves if e.version == "2"]),
    ]


def test_history_is_newest_first_with_who_when_commit_and_why():
    """The table's rows run newest first; a row shows the change, time, actor, score, commit
    and reason."""
    table = audit.history_table("m", audit.timeline(registry_after_a_rollback(), METRIC))
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    assert rows[0].startswith("| version | alias changes | when (UTC) | who | metric | commit")
    assert rows[1] == (
        "| 2 | +champion (replaced v1), -challenger | 2026-12-02 07:14:50 | alice | "
        "score 0.9000 | `c0ffeec0ffee` | v1 drifts |"
    )
    assert rows[2].startswith("| 1 | -champion (to v2) | 2026-12-02 07:14:50 | alice |")
    assert [row.split(" | ")[0] for row in rows[3:]] == ["| 2", "| 1"]


def test_history_last_keeps_only_the_newest_rows():
    """LAST=2 shows the two newest events and says how many there are."""
    table = audit.history_table("m", audit.timeline(registry_after_a_rollback(), METRIC), last=2)
    assert "the last 2 of 4 events" in table
    assert table.count("alice") == 2
    assert "octocat" not in table


def test_a_version_registered_before_the_audit_trail_shows_its_registration():
    """A version without audit tags still appears, from its verdict and creation time."""
    (row,) = audit.timeline([version(1, CHAMPION, **{VERDICT_TAG: CHAMPION})], METRIC)
    assert row.changes == "+champion (before the audit trail)"
    assert row.when == T0 - timedelta(days=1)


def test_a_reason_with_a_pipe_stays_in_its_cell():
    """A promote reason holding `|` or a newline cannot break the markdown table."""
    assert audit.cell("a | b\nc") == "a \\| b c"


def test_retire_keeps_the_newest_and_every_aliased_version():
    """Older than the newest KEEP and holding no alias: archived; an old champion or
    challenger never is."""
    versions = [version(1, CHAMPION), version(2), version(3, CHALLENGER), version(4), version(5)]
    plan = audit.retire_plan(versions, keep=2)
    assert [r.version for r in plan.archive] == ["2"]
    assert [v.version for v in plan.held] == ["3", "1"]


def test_retire_skips_versions_archived_before():
    """A second run archives nothing new: retirement is idempotent."""
    versions = [version(1, **{LIFECYCLE_TAG: ARCHIVED}), version(2, CHAMPION)]
    plan = audit.retire_plan(versions, keep=0)
    assert (plan.archive, plan.archived) == ((), ("1",))


@pytest.mark.parametrize(
    ("aliases", "superseded_by"), [((CHAMPION,), "1"), ((), "3")], ids=["champion", "next"]
)
def test_a_retired_version_is_superseded_by_the_champion_else_the_next_version(
    aliases, superseded_by
):
    """What superseded an archived version: the champion of the moment (even an older one),
    or without one the next newer version."""
    plan = audit.retire_plan([version(1, *aliases), version(2), version(3)], keep=1)
    assert plan.archive[0] == audit.Retirement("2", superseded_by)


def test_retired_description_names_the_successor_and_keeps_the_old_text():
    """The archived version's description says what superseded it, above what it said."""
    text = audit.retired_description("trained on May data", audit.Retirement("2", "5"), T0)
    note = "Archived on 2026-12-02 by `make retire`: superseded by version 5."
    assert text == f"{note}\n\ntrained on May data"


def test_succession_names_the_replaced_and_the_replacing_champion():
    """From its events: v2 superseded v1 as champion, then v3 superseded v2."""
    took = audit.alias_moved(stamp(0), REGISTER, "better", CHAMPION, "2", "1")[0]
    lost = audit.alias_moved(stamp(1), REGISTER, "better", CHAMPION, "3", "2")[1]
    assert audit.succession([lost, took]) == ("1", "3")


def test_a_champion_promoted_again_is_superseded_by_nobody():
    """Demoted, then rolled back to: it supersedes the latest champion and nothing yet
    supersedes it."""
    events = [
        audit.alias_moved(stamp(0), REGISTER, "", CHAMPION, "2", "1")[0],
        audit.alias_moved(stamp(1), REGISTER, "", CHAMPION, "3", "2")[1],
        audit.alias_moved(stamp(2), PROMOTE, "", CHAMPION, "2", "3")[0],
    ]
    assert audit.succession(events) == ("3", None)
