"""Regenerate the initial migration from the models (only while no release has shipped it).

Run: .venv/bin/python scripts/regenerate_initial_migration.py
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command

from mailbot.store.db import MIGRATIONS, alembic_config, make_engine

target = MIGRATIONS / "versions" / "0001_initial_schema.py"
target.unlink(missing_ok=True)
with tempfile.TemporaryDirectory() as folder:
    engine = make_engine(f"sqlite:///{folder}/empty.db")
    command.revision(alembic_config(engine), message="initial schema", autogenerate=True, rev_id="0001")
    engine.dispose()
text = target.read_text()
# Migrations must not import the models they describe: spell the column type out.
text = re.sub(r"mailbot\.store\.models\.UtcDateTime\([^)]*\)", "sa.DateTime(timezone=True)", text)
text = text.replace("import mailbot.store.models\n", "")
text = re.sub(r"Create Date: .*\n", "", text)
target.write_text(text)
# The versions folder is excluded from the tree's ruff config; format it the same way anyway, so a
# regenerated file differs from the last one only where the schema does.
ruff = Path(sys.executable).parent / "ruff"
subprocess.run([str(ruff), "format", "--isolated", "--line-length", "120", str(target)], check=True)
print(f"wrote {target}")
