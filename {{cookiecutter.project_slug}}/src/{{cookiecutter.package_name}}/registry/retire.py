"""retire: archive the versions older than the newest KEEP that hold no alias (`make retire`).

MLflow 3 has no stages: an archived version gets `lifecycle=archived`, `superseded_by=<version>`,
a description saying so and an audit event; it stays registered (and loadable: a rollback to
it still works). Its entries in the local BentoML store, and bentos built from them, are
deleted. @champion and @challenger are never touched. A dry run unless `confirm`.
"""

from __future__ import annotations

from .. import tracking
from ..errors import PipelineError
from ..vocabulary import ARCHIVED, LIFECYCLE_TAG, SUPERSEDED_BY_TAG
from . import audit, bento_store, trail


def run(name: str, keep: int, *, confirm: bool) -> audit.RetirePlan:
    if keep < 0:
        raise PipelineError(f"KEEP={keep}: keep the newest 0 or more versions")
    tracking.configure(create=False)
    versions = {version.version: version for version in trail.versions(name)}
    plan = audit.retire_plan(versions.values(), keep)
    # The BentoML store is read only when there is something to retire: its import costs.
    runs = {r.version: versions[r.version].run_id for r in plan.archive}
    stored = bento_store.stored_of_versions(name, runs)
    print(f"retire: {name}: {len(versions)} versions, keeping the newest {keep}")
    for held in plan.held:
        aliases = ", ".join(f"@{alias}" for alias in held.aliases)
        print(f"retire: v{held.version} kept: it holds {aliases}")
    if plan.archived:
        print(f"retire: already archived: {', '.join(f'v{v}' for v in plan.archived)}")
    for retirement in plan.archive:
        successor = retirement.superseded_by
        by = f"superseded by v{successor}" if successor else "no newer version"
        entries = ", ".join(f"{kind} {tag}" for kind, tag in stored[retirement.version])
        print(f"retire: v{retirement.version} -> {ARCHIVED} ({by}); BentoML store: "
              f"{entries or 'nothing to delete'}")  # fmt: skip
    if not plan.archive:
        print("retire: nothing to archive")
        return plan
    if not confirm:
        print("retire: dry run, nothing changed: CONFIRM=1 acts")
        return plan
    stamp = trail.stamp()
    for retirement in plan.archive:
        version = retirement.version
        bento_store.delete(stored[version])
        description = versions[version].description
        tracking.describe_version(
            name, version, audit.retired_description(description, retirement, stamp.when)
        )
        trail.record(name, [audit.retired(stamp, retirement, keep)])
        # The lifecycle tag last: a retirement stopped half-way is done again by the next run.
        tags = {LIFECYCLE_TAG: ARCHIVED}
        if retirement.superseded_by:
            tags[SUPERSEDED_BY_TAG] = retirement.superseded_by
        tracking.tag_version(name, version, tags)
    print(f"retire: archived {', '.join(f'v{r.version}' for r in plan.archive)}")
    return plan


def main(name: str, keep: int, *, confirm: bool) -> None:
    run(name, keep, confirm=confirm)
