"""The periodic work, declared once: every entry point (the daemon's minute, `run --once`,
`tick`, the benches) runs this same list, so no mode quietly leaves a job out.

Each job is a function of `(app, now)` that finds for itself what is due at `now` and is
idempotent (its mails have unique keys; the weekly status mail claims its week), so running the
list every minute, once from cron, or twice by two daemons sends each mail once. `when` says to
a person when the job does something; the function is the rule.

Every mail a job decides is caused by the clock, not by a person's mail, so it leaves within the
sending hours (rules/policy.toml [sending]: hours of working days in the organisation's time
zone). Two kinds of job keep that rule:

- A job that *chases* people (reminders and escalations, late-minutes nudges, 验收 reminders, the
  weekly status) runs only within the hours: what it says is decided from the state at the
  opening, so nobody is reminded at 09:00, by a decision taken at midnight, of work they reported
  done at 08:30. Its moments are days (or passed moments it catches up on), so nothing is lost.
- A job that *decides at a deadline* (the confirmation round: silence becomes consent, the
  minutes become final, the host hears of open objections) runs at its moment, and the mails it
  decides outside the hours are stored with `next_attempt_at` at the next opening
  (`mailbot.outbox.not_before`), where delivery picks them up.

Either way the keys are the same, so a re-run or a restart in between neither loses nor repeats a
mail. Answers to a person's mail, and what a person's mail sets off (the host told of an
objection, the confirmation requests of new minutes), are decided by the handlers and leave at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from mailbot.app import App
from mailbot.archive import refresh as refresh_archive
from mailbot.outbox import not_before
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
    # True: it only chases people, and runs within the sending hours alone. False: it decides at a
    # deadline, at any hour, and its mails wait for the opening (see the module docstring).
    chases: bool = True


JOBS: tuple[Job, ...] = (
    Job("consent", run_consent_deadlines, "each minute: confirmation rounds and handovers (转交) whose deadline "
        "passed (their mails leave within the sending hours)", chases=False),
    Job("reminders", run_reminders, "each minute within the sending hours: reminders before, on and after due; "
        "escalations"),
    Job("minutes nudges", run_minutes_nudges, "each minute within the sending hours: recorders late with the "
        "minutes, then the host"),
    Job("acceptance", run_acceptance_reminders, "each minute within the sending hours: requesters silent on "
        "done work (验收)"),
    Job("digest", run_digest, "weekly at rules/policy.toml [digest] weekday and time (within the sending hours), "
        "once per week"),
    # Sends no mail: at any hour. Cheap when nothing changed (three queries, nothing built).
    Job("archive", refresh_archive, "each minute, with [archive] on: official meetings whose record changed since "
        "their folder was filed (a later deliverable or state) are filed again", chases=False),
)  # fmt: skip


def _unique(jobs: Sequence[Job]) -> tuple[Job, ...]:
    names = [job.name for job in jobs]
    if len(set(names)) != len(names):
        raise ValueError(f"two periodic jobs share a name: {names}")
    return tuple(jobs)


_unique(JOBS)


def run_jobs(app: App, now: datetime | None = None, jobs: Sequence[Job] | None = None) -> dict[str, int]:
    """Run every job (`JOBS` unless given) for `now` (the app's clock by default); their counts,
    merged. A job that fails is logged and counted as "<name> failed"; the others still run.
    Outside the sending hours the jobs that chase people wait for the opening (no counts), and the
    mails the others decide are held until then."""
    now = now or app.now()
    opening = next_opening(app, now)
    counts: dict[str, int] = {}
    with not_before(opening):
        for job in JOBS if jobs is None else jobs:
            if job.chases and opening > now:
                log.debug("job %s waits for the sending hours (%s)", job.name, opening.isoformat())
                continue
            counts.update(guarded(job.name, lambda job=job: job.run(app, now)))  # type: ignore[misc]
    return counts


def next_opening(app: App, now: datetime) -> datetime:
    """The first moment at or after `now` when a mail the clock caused may leave (policy
    [sending]): `now` itself within the hours of a sending day, else the next opening, in UTC."""
    rule, tz, calendar = app.policy.sending, app.config.tz, app.calendar
    local = now.astimezone(tz)
    day = local.date()

    def sending_day(day: date) -> bool:
        return calendar.is_workday(day) if rule.working_days_only else True

    def following(day: date) -> date:
        return calendar.add_workdays(day, 1) if rule.working_days_only else day + timedelta(days=1)

    if not sending_day(day):
        day = following(day)
    opens = datetime.combine(day, rule.opens, tzinfo=tz)
    if local < opens:
        return opens.astimezone(UTC)
    closes = datetime.combine(day, rule.closes, tzinfo=tz) if rule.closes else None
    if closes is None or local < closes:
        return now
    return datetime.combine(following(day), rule.opens, tzinfo=tz).astimezone(UTC)


def guarded(name: str, job: Callable[[], dict[str, int]]) -> dict[str, int]:
    """Run one job; an exception is logged with its traceback and counted, never raised: the
    daemon's loop must outlive any one job's failure (the job runs again at its next turn)."""
    try:
        return job()
    except Exception:
        log.exception("job %s failed; the daemon goes on", name)
        return {f"{name} failed": 1}
