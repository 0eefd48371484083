"""The read-only pages (`mailbot web`): a person's actions and meetings, a meeting's minutes and
tracking table, a project's or department's table, each reached by a signed, expiring link.

Mail code puts a link in with `web_link(app, address, scope)` (None when the pages are off);
the server (mailbot/web/server.py, uvicorn) is imported only by `mailbot web`.
"""

from mailbot.web.links import web_link

__all__ = ["web_link"]
