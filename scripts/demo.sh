#!/usr/bin/env bash
# The main job on the embedded default: SQLite, a local Maildir in and out, the bundled example mails.
# Leaves everything in ./demo so you can look at it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

rm -rf demo
.venv/bin/mailbot init demo >/dev/null
# The examples arrived through the company's server smtp.corp.example, which wrote on each who
# logged in to send it (or that DKIM and DMARC passed): that is the proof of sender the bot needs
# to act on a mail at once (README, "Who may change what").
sed -i 's/^authserv_id = ""/authserv_id = "smtp.corp.example"/' demo/config.toml
grep -q '^authserv_id = "smtp.corp.example"' demo/config.toml
# The examples were written in the first week of December 2026: run the bot as of that evening.
NOW=${MAILBOT_DEMO_NOW:-2026-12-08T20:00:00+08:00}
for mail in examples/*.eml; do
  cp "$mail" "demo/inbox/new/$(basename "$mail" .eml)"
  touch "demo/inbox/new/$(basename "$mail" .eml)"
  sleep 0.01  # keep the arrival order of the examples
done
.venv/bin/mailbot --config demo/config.toml --now "$NOW" run --once
echo
.venv/bin/mailbot --config demo/config.toml --now "$NOW" meetings
echo
.venv/bin/mailbot --config demo/config.toml --now "$NOW" actions
echo
echo "The mails the bot sent are files in: $(pwd)/demo/sent/new"
echo "List them with:  .venv/bin/mailbot --config demo/config.toml outbox"
