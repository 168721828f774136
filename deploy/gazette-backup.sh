#!/usr/bin/env bash
# Back up gazette's state files (SQLite online backup: consistent while a crawl
# writes) and its dataset folder; keep KEEP_DAYS days of backups.
#
#   deploy/gazette-backup.sh DATA_DIR BACKUP_DIR [KEEP_DAYS]
#   deploy/gazette-backup.sh /var/lib/gazette/data /var/backups/gazette 14
#
# Prints nothing when all went well (cron mails only failures). Restore a state:
# stop the crawls, then copy <BACKUP_DIR>/<date>/state/<spider>.sqlite3 over
# <DATA_DIR>/state/<spider>.sqlite3 and remove its -wal and -shm files.
# A Redis state is backed up by Redis itself (appendonly yes, and its RDB snapshots).
set -euo pipefail
data=${1:?DATA_DIR}
backups=${2:?BACKUP_DIR}
keep=${3:-14}
python=$(dirname "$(readlink -f "$0")")/../.venv/bin/python
[ -x "$python" ] || python=python3
day=$(date +%F)
target="$backups/$day"
mkdir -p "$target/state"
shopt -s nullglob
for db in "$data"/state/*.sqlite3; do
  "$python" - "$db" "$target/state/$(basename "$db")" <<'PY'
import sqlite3, sys
src = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=60)
dst = sqlite3.connect(sys.argv[2] + ".part")
src.backup(dst)
dst.close(); src.close()
import os; os.replace(sys.argv[2] + ".part", sys.argv[2])
PY
done
if [ -d "$data/dataset" ]; then
  tar -C "$data" -czf "$target/dataset.tar.gz.part" dataset && mv "$target/dataset.tar.gz.part" "$target/dataset.tar.gz"
fi
find "$backups" -mindepth 1 -maxdepth 1 -type d -mtime +"$keep" -exec rm -rf {} +
