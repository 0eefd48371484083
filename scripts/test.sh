#!/usr/bin/env bash
# Sets up everything and runs the whole test suite: lint, then pytest on SQLite and PostgreSQL.
# In CI (CI=true) tests that need a server fail instead of skipping when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Dovecot for the IMAP/SMTP tests: installed in CI (root, Debian); locally those tests skip without it.
if [ "${CI:-}" = "true" ]; then bash scripts/install-system-deps.sh; fi

if [ "${CI:-}" = "true" ] && command -v pg_lsclusters >/dev/null 2>&1; then
  # CI's machine runs PostgreSQL; make sure it is up (a no-op when it is).
  if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
fi

.venv/bin/ruff check mailbot tests bench scripts
.venv/bin/ruff format --check mailbot tests bench scripts
set +e
# One pytest worker per core (pytest-xdist): the suite is thousands of small tests, each in its own
# directories, ports and PostgreSQL schema, so they run side by side; MAILBOT_TEST_WORKERS=0 runs
# them in this one process (easier to read when debugging one failure).
.venv/bin/pytest -n "${MAILBOT_TEST_WORKERS:-auto}" "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "test.sh: pytest collected no tests — that is a failure, not a pass" >&2
  exit 1
fi
exit "$status"
