"""The project group (项目群内公示): posts to a DingTalk, WeCom (企业微信) or Feishu group robot when a
meeting's minutes become official, when an action is done (its deliverable named) and when one is
escalated — optional, per project (`[groups.robots."项目名"]`, or `"*"` for any project).

A post never holds up mail: it is decided in the transaction of what caused it, as a row of
`group_posts` with a unique key (decided twice, posted once), and delivered later by the
delivery step of the daemon, `run --once` and `tick` (`deliver`), outside any transaction. A post
the clock caused (the confirmation round closing at midnight) is first tried at the same moment
as the mails of that decision, within the sending hours (mailbot.outbox.not_before): the group
never hears "the minutes went out by mail" before they did. A robot that answers with an error,
or not at all, is tried again with backoff (1 min, 2, 4, … at most an hour); after `[groups]
max_attempts` the post is failed, logged, recorded as a `group_post.failed` event (`mailbot show
M-n`, or `A-n` for an action's post) and mailed to the `[bot] admin` (kind group_post_failed, at
most one a day per robot). Once the robot is fixed, `mailbot groups retry` (`retry_failed`) puts
the failed posts back in the queue.

Each service as documented:
- DingTalk (自定义机器人): POST JSON {"msgtype": "markdown", "markdown": {"title", "text"}} to the
  webhook (`…/robot/send?access_token=…`); with 加签, `&timestamp=<ms>&sign=<s>` added to the URL,
  s = urlencode(base64(HMAC-SHA256(key=secret, msg="<ms>\\n<secret>"))). Answer {"errcode": 0}.
- WeCom (群机器人): POST JSON {"msgtype": "markdown", "markdown": {"content"}} to the webhook
  (`…/webhook/send?key=…`): the key in the URL is the only credential. Answer {"errcode": 0}.
- Feishu (自定义机器人): POST JSON {"msg_type": "post", "content": {"post": {"zh_cn": {"title",
  "content"}}}} to the webhook (`…/bot/v2/hook/…`); with 签名校验, "timestamp" (seconds) and "sign" =
  base64(HMAC-SHA256(key="<seconds>\\n<secret>", msg="")) in the body. Answer {"code": 0}.

The signing time is the wall clock (the services refuse a timestamp an hour off), not the bot's
clock: everything else here follows the injected clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from mailbot.app import App
    from mailbot.config import Config, GroupRobotSection
    from mailbot.notify import Notifier
    from mailbot.store.models import ActionItem, GroupPost, Meeting

log = logging.getLogger(__name__)

# Between attempts: FIRST_RETRY, doubled each time, never more than LONGEST_WAIT.
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)
# A post taken by one delivery pass is not taken by another (a second daemon) for this long.
LEASE = timedelta(minutes=10)
# Lines of actions an official post lists before "… and N more" (a group message, not the minutes).
MAX_LISTED = 15
# WeCom refuses markdown over 4096 bytes; the others allow more, but a group post should be short.
MAX_TEXT_BYTES = 4000

# How the admin's mail names each service.
SERVICE_NAMES: Mapping[str, str] = {
    "dingtalk": "DingTalk (钉钉)",
    "wecom": "WeCom (企业微信)",
    "feishu": "Feishu (飞书)",
}

WORDS: Mapping[str, Mapping[str, str]] = {
    "zh": {
        "official": "正式版会议纪要：{title}（{ref}）", "done": "行动项已完成：{ref}", "escalated": "行动项逾期升级：{ref}",
        "meeting": "会议：{title}（{ref}），{date}", "project": "项目：{project}", "version": "第 {n} 版",
        "counts": "决议 {decisions} 项；行动项 {actions} 项：", "action": "{ref} {description} — {owner} — {due} — {status}",
        "more": "……另 {n} 项", "sent": "正式版已邮件发送给全体参会人员。",
        "owner": "负责人：{owner}", "deliverable": "交付标准：{deliverable}", "files": "交付物：{files}",
        "verify": "待 {who} 验收", "due": "完成时限：{due}，已逾期 {n} 个工作日", "sep": "、",
    },
    "en": {
        "official": "Official minutes: {title} ({ref})", "done": "Action done: {ref}", "escalated": "Action escalated: {ref}",
        "meeting": "Meeting: {title} ({ref}), {date}", "project": "Project: {project}", "version": "version {n}",
        "counts": "Decisions: {decisions}; actions: {actions}:", "action": "{ref} {description} — {owner} — {due} — {status}",
        "more": "… and {n} more", "sent": "The official minutes went to everyone by mail.",
        "owner": "Owner: {owner}", "deliverable": "Deliverable: {deliverable}", "files": "Files: {files}",
        "verify": "awaiting verification by {who}", "due": "Due {due}; working days overdue: {n}", "sep": ", ",
    },
}  # fmt: skip


def robot_for(config: Config, project: str | None) -> tuple[str, GroupRobotSection] | None:
    """The robot of a project: its own table, else "*"; None when there is neither."""
    robots = config.groups.robot_tables(config.origin)
    for name in (project or "", "*"):
        if name and name in robots:
            return name, robots[name]
    return None


# Deciding a post (inside the caller's transaction) -----------------------------------------------


def queue(
    notifier: Notifier,
    event: str,
    meeting: Meeting,
    *,
    key: str,
    title: str,
    lines: Sequence[str],
    action_id: int | None = None,
) -> bool:
    """A post decided: one row, unless [groups] is off, the project has no robot, its robot does
    not take this event, or the key was decided before. True when written."""
    config = notifier.app.config
    if not config.groups.enabled:
        return False
    found = robot_for(config, meeting.project)
    if found is None or event not in found[1].events:
        return False
    name, robot = found
    from mailbot.outbox import first_attempt_at
    from mailbot.store.models import GroupPost

    values = {
        "key": key[:300], "event": event, "robot": name, "service": robot.service,
        "language": _language(notifier, meeting), "message": {"title": title, "lines": list(lines)},
        "status": "pending", "attempts": 0, "created_at": notifier.now,
        # A post the clock caused (decided in a periodic job's `not_before` block) waits for the
        # sending hours like the mails of the same decision: never before the mails it announces.
        "next_attempt_at": first_attempt_at(notifier.now),
        "meeting_id": meeting.id, "action_id": action_id,
    }  # fmt: skip
    session = notifier.session
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        statement = (
            insert(GroupPost.__table__)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(GroupPost.__table__.c.id)
        )
        return session.execute(statement, values).scalar() is not None
    from sqlalchemy import select

    if session.scalar(select(GroupPost.id).where(GroupPost.key == values["key"])) is not None:
        return False
    session.add(GroupPost(**values))
    return True


def _language(notifier: Notifier, meeting: Meeting) -> str:
    return "zh" if notifier.app.languages.pick(meeting.language) == "zh" else "en"


def _words(notifier: Notifier, meeting: Meeting) -> Mapping[str, str]:
    return WORDS[_language(notifier, meeting)]


def _who(meeting: Meeting, address: str | None, name: str | None = None) -> str:
    if not address:
        return ""
    return name or (meeting.names or {}).get(address) or address


def _day(notifier: Notifier, meeting: Meeting, value: date | str | None) -> str:
    return notifier.app.languages.of(_language(notifier, meeting)).day(value)


def _meeting_line(notifier: Notifier, meeting: Meeting) -> str:
    w = _words(notifier, meeting)
    return w["meeting"].format(title=meeting.title, ref=meeting.ref, date=_day(notifier, meeting, meeting.meeting_date))


def _action_lines(w: Mapping[str, str], action: ActionItem) -> list[str]:
    """The action and its owner: how a post about one action starts."""
    owner = _who(action.meeting, action.owner_address, action.owner_name)
    return [
        f"{action.ref} {action.description}",
        w["owner"].format(owner=" ".join(t for t in (action.department, owner) if t)),
    ]


def post_official(
    notifier: Notifier, meeting: Meeting, version: int | None, actions: Sequence[Mapping[str, Any]]
) -> bool:
    """The hook of confirmation.confirm_if_settled: the minutes became official."""
    if not notifier.app.config.groups.enabled:
        return False
    from mailbot.exports import status_text

    w, language = _words(notifier, meeting), _language(notifier, meeting)
    title = w["official"].format(title=meeting.title, ref=meeting.ref)
    if version and version > 1:
        title += f" · {w['version'].format(n=version)}"
    lines = [_meeting_line(notifier, meeting)]
    if meeting.project:
        lines.append(w["project"].format(project=meeting.project))
    lines.append(w["counts"].format(decisions=len(meeting.decisions), actions=len(actions)))
    for a in actions[:MAX_LISTED]:
        lines.append(w["action"].format(
            ref=a["ref"], description=a["description"], owner=_who(meeting, a["owner"], a.get("owner_name")),
            due=_day(notifier, meeting, a["due"]),
            status=status_text(dict(a), language, notifier.app.rules.statuses, notifier.app.languages),
        ))  # fmt: skip
    if len(actions) > MAX_LISTED:
        lines.append(w["more"].format(n=len(actions) - MAX_LISTED))
    lines.append(w["sent"])
    return queue(
        notifier, "official", meeting, key=f"group:official:{meeting.ref}:v{version}", title=title, lines=lines
    )


def post_done(notifier: Notifier, action: ActionItem, files: Sequence[str] = ()) -> bool:
    """The hook of handlers.reply on_done: an action delivered (its deliverable and the files sent)."""
    if not notifier.app.config.groups.enabled:
        return False
    meeting = action.meeting
    w = _words(notifier, meeting)
    lines = _action_lines(w, action)
    if action.deliverable:
        lines.append(w["deliverable"].format(deliverable=action.deliverable))
    if files:
        lines.append(w["files"].format(files=w["sep"].join(files)))
    lines.append(_meeting_line(notifier, meeting))
    if action.requester_address:
        lines.append(w["verify"].format(who=_who(meeting, action.requester_address, action.requester_name)))
    when = action.done_at.isoformat() if action.done_at else notifier.now.isoformat()
    return queue(
        notifier, "done", meeting, key=f"group:done:{action.ref}:{when}", title=w["done"].format(ref=action.ref),
        lines=lines, action_id=action.id,
    )  # fmt: skip


def post_escalated(notifier: Notifier, action: ActionItem, overdue_days: int) -> bool:
    """The hook of workflow.reminders escalate: an action overdue past the escalation rule."""
    if not notifier.app.config.groups.enabled:
        return False
    meeting = action.meeting
    w = _words(notifier, meeting)
    lines = [
        *_action_lines(w, action),
        w["due"].format(due=_day(notifier, meeting, action.due), n=overdue_days),
        _meeting_line(notifier, meeting),
    ]
    return queue(
        notifier, "escalated", meeting, key=f"group:escalated:{action.ref}:{action.due.isoformat()}",
        title=w["escalated"].format(ref=action.ref), lines=lines, action_id=action.id,
    )  # fmt: skip


# The services' requests ----------------------------------------------------------------------------


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """加签: base64(HMAC-SHA256(secret, "<timestamp>\\n<secret>")), URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """签名校验: base64(HMAC-SHA256(key="<timestamp>\\n<secret>", msg=b""))."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _clip(text: str, max_bytes: int = MAX_TEXT_BYTES) -> str:
    data = text.encode()
    if len(data) <= max_bytes:
        return text
    return data[: max_bytes - 3].decode(errors="ignore") + "…"


def build_request(
    service: str, webhook: str, secret: str, message: Mapping[str, Any], language: str, now_s: float
) -> tuple[str, bytes]:
    """The URL and JSON body of one post, signed as the service documents."""
    title, lines = str(message.get("title") or ""), [str(line) for line in message.get("lines") or []]
    if service == "dingtalk":
        url = webhook
        if secret:
            stamp = int(now_s * 1000)
            url += ("&" if "?" in url else "?") + f"timestamp={stamp}&sign={dingtalk_sign(secret, stamp)}"
        text = _clip(f"#### {title}\n\n" + "\n\n".join(lines))
        body: dict[str, Any] = {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    elif service == "wecom":
        url = webhook
        body = {"msgtype": "markdown", "markdown": {"content": _clip(f"**{title}**\n" + "\n".join(lines))}}
    elif service == "feishu":
        url = webhook
        locale = "zh_cn" if language == "zh" else "en_us"
        body = {"msg_type": "post", "content": {"post": {locale: {
            "title": title, "content": [[{"tag": "text", "text": _clip(line, 1000)}] for line in lines]}}}}  # fmt: skip
        if secret:
            stamp = int(now_s)
            body = {"timestamp": str(stamp), "sign": feishu_sign(secret, stamp), **body}
    else:
        raise ValueError(f"no group service {service!r}")
    return url, json.dumps(body, ensure_ascii=False).encode()


class RobotDown(Exception):
    """The robot could not be reached at all (connection refused, timeout): its other posts wait."""


def answered_ok(service: str, status: int, body: bytes) -> str | None:
    """None when the service took the post; else why not."""
    if not 200 <= status < 300:
        return f"HTTP {status}: {body[:300].decode(errors='replace')}"
    try:
        answer = json.loads(body or b"{}")
    except ValueError:
        return f"HTTP {status}, not JSON: {body[:200].decode(errors='replace')}"
    if not isinstance(answer, dict):
        return f"unexpected answer {answer!r}"[:300]
    if service == "feishu":
        code = answer.get("code", answer.get("StatusCode", 0))
        message = answer.get("msg", answer.get("StatusMessage", ""))
    else:
        code, message = answer.get("errcode", 0), answer.get("errmsg", "")
    return None if code == 0 else f"{service} error {code}: {message}"[:500]


def post_http(url: str, body: bytes, timeout: float) -> tuple[int, bytes]:
    """POST the body; (status, answer). Raises RobotDown when nothing answered."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # an http(s) URL: config.py checks it
            return response.status, response.read(65536)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(65536) if exc.fp is not None else b""
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise RobotDown(str(getattr(exc, "reason", exc))) from exc


# Delivering (outside any transaction) ------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_WAIT)


def deliver(
    app: App,
    *,
    limit: int = 50,
    send: Callable[[str, bytes, float], tuple[int, bytes]] = post_http,
    wall_clock: Callable[[], float] = time.time,
) -> dict[str, int]:
    """Post what is due: each post claimed in its own short transaction, sent with none open, its
    outcome written in another. A robot that cannot be reached is tried once a pass."""
    counts = {"posted": 0, "retry": 0, "failed": 0}
    groups = app.config.groups
    if not groups.enabled:
        return counts
    from sqlalchemy import select

    from mailbot.store.models import GroupPost

    now = app.now()
    with app.db.transaction() as session:
        due = list(
            session.execute(
                select(GroupPost.id, GroupPost.robot)
                .where(GroupPost.status == "pending", GroupPost.next_attempt_at <= now)
                .order_by(GroupPost.id)
                .limit(limit)
            )
        )
    robots = groups.robot_tables(app.config.origin)
    down: set[str] = set()
    for post_id, robot_name in due:
        if robot_name in down:
            continue
        claimed = _claim(app, post_id, now)
        if claimed is None:
            continue
        robot = robots.get(robot_name)
        error: str | None
        if robot is None:
            error = f"no robot {robot_name!r} in [groups.robots] any more"
        else:
            webhook = app.config.secret(robot.webhook, robot.webhook_env) if robot.webhook_env else robot.webhook
            secret = app.config.secret(robot.secret, robot.secret_env) if robot.secret_env else robot.secret
            try:
                if not webhook:
                    raise ValueError(f"robot {robot_name!r} has no webhook (${robot.webhook_env} unset?)")
                url, body = build_request(
                    robot.service, webhook, secret, claimed["message"], claimed["language"], wall_clock()
                )
                error = answered_ok(robot.service, *send(url, body, groups.timeout_seconds))
            except RobotDown as exc:
                down.add(robot_name)
                error = f"not reachable: {exc}"
            except Exception as exc:
                log.exception("group post %s could not be sent", post_id)
                error = f"{type(exc).__name__}: {exc}"
        counts[_settle(app, post_id, error, now)] += 1
    if counts["posted"] or counts["retry"] or counts["failed"]:
        log.info("group posts: %s", counts)
    return counts


def _claim(app: App, post_id: int, now: datetime) -> dict[str, Any] | None:
    """Take one due post for this pass (PostgreSQL: skipping one another daemon holds)."""
    from sqlalchemy import select

    from mailbot.store.models import GroupPost

    with app.db.transaction() as session:
        query = select(GroupPost).where(
            GroupPost.id == post_id, GroupPost.status == "pending", GroupPost.next_attempt_at <= now
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        row = session.scalar(query)
        if row is None:
            return None
        row.next_attempt_at = now + LEASE
        return {"message": dict(row.message or {}), "language": row.language}


def _settle(app: App, post_id: int, error: str | None, now: datetime) -> str:
    """Write one attempt's outcome: posted, retry (with backoff) or failed (the admin's event)."""
    from mailbot.store.models import Event, GroupPost

    with app.db.transaction() as session:
        row = session.get(GroupPost, post_id)
        assert row is not None
        row.attempts += 1
        if error is None:
            row.status, row.sent_at, row.last_error = "sent", now, None
            return "posted"
        row.last_error = error[:1000]
        if row.attempts < app.config.groups.max_attempts:
            row.next_attempt_at = now + backoff(row.attempts)
            log.warning("group post %s to %s failed (attempt %d), retried at %s: %s", row.key, row.robot,
                        row.attempts, row.next_attempt_at.isoformat(), error)  # fmt: skip
            return "retry"
        row.status = "failed"
        log.error("group post %s to robot %s (%s) failed after %d attempts: %s; tell the admin %s",
                  row.key, row.robot, row.service, row.attempts, error, app.config.bot.admin or "(no [bot] admin)")  # fmt: skip
        session.add(Event(
            at=now, actor="mailbot", what="group_post.failed", meeting_id=row.meeting_id, action_id=row.action_id,
            detail={"key": row.key, "robot": row.robot, "service": row.service, "attempts": row.attempts,
                    "error": row.last_error, "admin": app.config.bot.admin},
        ))  # fmt: skip
        tell_admin(app, session, row, now)
        return "failed"


def tell_admin(app: App, session: Session, row: GroupPost, now: datetime) -> None:
    """A post that will never appear is news for a person: the admin gets a mail, at most one a
    day per robot — a robot whose webhook was revoked fails every post, and the admin needs to
    hear it once, not once per action. Every failed post stays an event (`mailbot show M-n`, or
    `mailbot show A-n` for an action's post), and `mailbot groups retry` sends them again."""
    from sqlalchemy import func, select

    from mailbot.notify import Notifier
    from mailbot.store.models import ActionItem, GroupPost, Meeting

    admin = app.config.bot.admin
    if not admin:
        return
    local_day = now.astimezone(app.config.tz).date()
    meeting = session.get(Meeting, row.meeting_id) if row.meeting_id is not None else None
    action = session.get(ActionItem, row.action_id) if row.action_id is not None else None
    pending = session.scalar(
        select(func.count()).select_from(GroupPost).where(GroupPost.robot == row.robot, GroupPost.status == "pending")
    )
    notifier = Notifier(app=app, session=session, now=now, actor="mailbot")
    notifier.send(
        key=f"group_post_failed:{row.robot}:{local_day.isoformat()}", kind="group_post_failed", to=admin,
        context={
            "robot": row.robot, "service": row.service, "service_name": SERVICE_NAMES.get(row.service, row.service),
            "title": str((row.message or {}).get("title", ""))[:300], "event": row.event,
            "meeting_ref": meeting.ref if meeting is not None else None,
            "meeting_title": meeting.title if meeting is not None else None,
            # The failure's event is on the action when the post is about one (`mailbot show A-n`);
            # "*" as the robot is worded "默认机器人（*）" by the templates.
            "action_ref": action.ref if action is not None else None,
            "attempts": row.attempts, "error": (row.last_error or "")[:500],
            "queued_at": row.created_at.astimezone(app.config.tz).strftime("%Y-%m-%d %H:%M"),
            "pending": int(pending or 0), "no_reply": True,
        },
    )  # fmt: skip


def retry_failed(app: App, robot: str | None = None) -> int:
    """`mailbot groups retry [--robot NAME]`: the failed posts (of one robot, else all) back in the
    queue, their attempts reset, due at once — for after the robot's webhook or secret is fixed.
    The next delivery (the daemon's minute, `run --once`, `tick`) sends them. A post already sent
    is never touched. The number of posts put back."""
    from sqlalchemy import update

    from mailbot.store.models import GroupPost

    now = app.now()
    with app.db.transaction() as session:
        statement = update(GroupPost).where(GroupPost.status == "failed")
        if robot is not None:
            statement = statement.where(GroupPost.robot == robot)
        result = session.execute(statement.values(status="pending", attempts=0, next_attempt_at=now))
        count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if count:
        log.info("group posts: %d failed post(s)%s put back in the queue", count,
                 f" of robot {robot!r}" if robot is not None else "")  # fmt: skip
    return count
