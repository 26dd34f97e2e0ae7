#!/usr/bin/env bash
# Restore a backup of scripts/backup.sh into a NEW database and an empty photo folder.
#
#   scripts/restore.sh BACKUP_DIR TARGET_DATABASE_URL [PHOTO_DIR]
#
# 1. Checks every file against SHA256SUMS and manifest.json: a damaged backup restores nothing.
# 2. Creates the target database if it does not exist (through the server's `postgres`
#    database), and refuses one that already has tables: it never restores over a database.
# 3. pg_restore --no-owner --exit-on-error (the role running it owns what it restores; it must
#    be allowed to create the PostGIS extension: a superuser, or run `CREATE EXTENSION postgis`
#    in the new database first). RESTORE_ARGS adds options (e.g. --no-privileges where the
#    dump's roles do not exist on this server, --jobs 4).
# 4. Unpacks the photos into PHOTO_DIR (default DISPATCH_PHOTO_DIR), refusing a non-empty one.
# 5. Checks the restored database against the manifest: schema revision, the event log's last
#    seq and the rows counted.
# Then point DATABASE_URL (and DISPATCH_PHOTO_DIR) at them and start the product; run
# `python -m server upgrade-db` if the code is newer than the backup's schema.
set -euo pipefail
say() { echo "restore: $*" >&2; }
die() { say "FAILED: $*"; exit 1; }

backup=${1:?usage: scripts/restore.sh BACKUP_DIR TARGET_DATABASE_URL [PHOTO_DIR]}
url=${2:?usage: scripts/restore.sh BACKUP_DIR TARGET_DATABASE_URL [PHOTO_DIR]}
url=${url/postgresql+psycopg2:/postgresql:}
photos=${3:-${DISPATCH_PHOTO_DIR:?give PHOTO_DIR or set DISPATCH_PHOTO_DIR}}
python=${PYTHON:-python3}
for tool in pg_restore psql sha256sum tar; do
  command -v $tool >/dev/null || die "$tool is needed"
done

say "checking $backup"
(cd "$backup" && sha256sum --quiet -c SHA256SUMS) || die "a file does not match SHA256SUMS"
"$python" - "$backup" <<'PY' || die "a file does not match manifest.json"
import hashlib, json, os, sys
folder = sys.argv[1]
manifest = json.load(open(os.path.join(folder, "manifest.json")))
for entry in manifest["files"]:
    h = hashlib.sha256(open(os.path.join(folder, entry["name"]), "rb").read()).hexdigest()
    if h != entry["sha256"] or os.path.getsize(os.path.join(folder, entry["name"])) != entry["bytes"]:
        sys.exit(f"{entry['name']}: not the file the manifest names")
PY

if [ -d "$photos" ] && [ -n "$(ls -A "$photos" 2>/dev/null)" ]; then
  die "the photo folder $photos is not empty"
fi

base=${url%%\?*}
db=${base##*/}
admin=${base%/*}/postgres
[[ "$db" =~ ^[A-Za-z0-9_-]+$ ]] || die "database name $db: letters, digits, _ and - only"
exists=$(psql "$admin" -XAtq -c "SELECT 1 FROM pg_database WHERE datname = '$db'") \
  || die "cannot reach the server at $admin"
if [ "$exists" = 1 ]; then
  tables=$(psql "$url" -XAtq -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'
    AND tablename NOT IN ('spatial_ref_sys')")
  [ "$tables" = 0 ] || die "database $db already has $tables tables: restore into a new one"
else
  say "creating database $db"
  psql "$admin" -XAtq -c "CREATE DATABASE \"$db\"" >/dev/null
fi

say "restoring the database into $db"
# shellcheck disable=SC2086
pg_restore --no-owner --exit-on-error ${RESTORE_ARGS:-} --dbname="$url" "$backup/database.dump" \
  || die "pg_restore failed"

say "unpacking the photos into $photos"
umask 077
mkdir -p "$photos"
chmod 0700 "$photos"
tar -C "$photos" --no-same-owner -xf "$backup/photos.tar"

facts=$(psql "$url" -XAtq -F ' ' -c "SELECT (SELECT version_num FROM alembic_version),
  (SELECT value FROM event_counter WHERE id = 1), (SELECT count(*) FROM incidents),
  (SELECT count(*) FROM events), (SELECT count(*) FROM overdue_records),
  (SELECT count(*) FROM photos)")
"$python" - "$backup" $facts <<'PY' || die "the restored database differs from the manifest"
import json, os, sys
folder, revision, seq, incidents, events, records, photo_rows = sys.argv[1:8]
m = json.load(open(os.path.join(folder, "manifest.json")))
got = {"schema_revision": revision, "event_log_last_seq": int(seq),
       "rows": {"incidents": int(incidents), "events": int(events),
                "overdue_records": int(records), "photos": int(photo_rows)}}
want = {k: m[k] for k in got}
if got != want:
    sys.exit(f"restored {got}, the manifest says {want}")
PY
say "done: revision $(cut -d' ' -f1 <<<"$facts"), event log at seq $(cut -d' ' -f2 <<<"$facts")"
