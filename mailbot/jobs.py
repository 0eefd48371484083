"""The periodic work, declared once: every entry point (the daemon's minute, `run --once`,
`tick`, the benches) runs this same list, so no mode quietly leaves a job out.

Each job is a function of `(app, now)` that finds for itself what is due at `now` and is
idempotent (its mails have unique keys; the weekly status mail claims its week), so running the
list every minute, once from cron, or twice by two daemons sends each mail once. `when` says to
a person when the job does something; the function is the rule.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from mailbot.app import App
from mailbot.workflow.acceptance import run_acceptance_reminders
from mailbot.workflow.consent import run_consent_deadlines
from mailbot.workflow.digest import run_digest
from mailbot.workflow.minutes_late import run_minutes_nudges
from mailbot.workflow.reminders import run_reminders

log = logging.getLogger(__name__)

JobFunction = Callable[[App, datetime], dict[str, int]]


@dataclass(frozen=True)
class Job:
    name: str
    run: JobFunction
    when: str  # for people: `mailbot jobs`, logs


JOBS: tuple[Job, ...] = (
    Job("consent", run_consent_deadlines, "each minute: confirmation rounds whose deadline passed"),
    Job("reminders", run_reminders, "each minute: reminders before, on and after due; escalations"),
    Job("minutes nudges", run_minutes_nudges, "each minute: recorders late with the minutes, then the host"),
    Job("acceptance", run_acceptance_reminders, "each minute: requesters silent on done work (验收)"),
    Job("digest", run_digest, "weekly at rules/policy.toml [digest] weekday and time, once per week"),
)


def _unique(jobs: Sequence[Job]) -> tuple[Job, ...]:
    names = [job.name for job in jobs]
    if len(set(names)) != len(names):
        raise ValueError(f"two periodic jobs share a name: {names}")
    return tuple(jobs)


_unique(JOBS)


def run_jobs(app: App, now: datetime | None = None, jobs: Sequence[Job] | None = None) -> dict[str, int]:
    """Run every job (`JOBS` unless given) for `now` (the app's clock by default); their counts,
    merged. A job that fails is logged and counted as "<name> failed"; the others still run."""
    now = now or app.now()
    counts: dict[str, int] = {}
    for job in JOBS if jobs is None else jobs:
        counts.update(guarded(job.name, lambda job=job: job.run(app, now)))  # type: ignore[misc]
    return counts


def guarded(name: str, job: Callable[[], dict[str, int]]) -> dict[str, int]:
    """Run one job; an exception is logged with its traceback and counted, never raised: the
    daemon's loop must outlive any one job's failure (the job runs again at its next turn)."""
    try:
        return job()
    except Exception:
        log.exception("job %s failed; the daemon goes on", name)
        return {f"{name} failed": 1}
