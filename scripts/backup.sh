#!/usr/bin/env bash
# A backup of Jiyuan 311: the database (PostgreSQL + PostGIS) and the photos, with a manifest.
#
#   DATABASE_URL=postgresql://... DISPATCH_PHOTO_DIR=/data/photos scripts/backup.sh DEST
#
# Writes DEST/jiyuan311-<UTC time>/ (0700): database.dump (pg_dump's custom format: compressed,
# restored table by table with pg_restore, the PostGIS extension and the append-only triggers
# included), photos.tar (the photo folder as it is; JPEG/PNG/WebP do not compress), manifest.json
# (when, the schema's revision, the event log's last seq and the rows counted, each file's size
# and SHA-256) and SHA256SUMS (`sha256sum -c` reads it; scripts/restore.sh checks it first).
# The database is dumped first, then the photos are copied: a report commits after its photos
# are written, so every case in the dump has its photos in the tar (a photo of a case committed
# after the dump may be there too, harmlessly). pg_dump reads one consistent snapshot while the
# product keeps running. Prints the backup's folder on its last line.
set -euo pipefail
say() { echo "backup: $*" >&2; }
die() { say "FAILED: $*"; exit 1; }

dest=${1:?usage: scripts/backup.sh DEST_DIR}
url=${DATABASE_URL:?set DATABASE_URL (postgresql://...)}
url=${url/postgresql+psycopg2:/postgresql:}
photos=${DISPATCH_PHOTO_DIR:-${DISPATCH_INSTANCE_PATH:-instance}/photos}
python=${PYTHON:-python3}
command -v pg_dump >/dev/null || die "pg_dump is needed (Debian: postgresql-client)"

umask 077
out="$dest/jiyuan311-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
chmod 0700 "$out"

say "dumping the database"
pg_dump --format=custom --compress=6 --file="$out/database.dump" "$url" \
  || die "pg_dump of the database failed"
facts=$(psql "$url" -XAtq -F ' ' -c "SELECT (SELECT version_num FROM alembic_version),
  (SELECT value FROM event_counter WHERE id = 1), (SELECT count(*) FROM incidents),
  (SELECT count(*) FROM events), (SELECT count(*) FROM overdue_records),
  (SELECT count(*) FROM photos)") || die "could not read the database's figures"

say "copying the photos from $photos"
if [ -d "$photos" ]; then
  tar -C "$photos" -cf "$out/photos.tar" .
else
  say "no photo folder at $photos: an empty photos.tar"
  tar -cf "$out/photos.tar" -T /dev/null
fi

(cd "$out" && sha256sum database.dump photos.tar > SHA256SUMS)
"$python" - "$out" "$photos" $facts <<'PY'
import hashlib, json, os, sys, datetime
out, photos, revision, seq, incidents, events, records, photo_rows = sys.argv[1:9]
def digest(name):
    h = hashlib.sha256()
    with open(os.path.join(out, name), "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return {"name": name, "bytes": os.path.getsize(os.path.join(out, name)), "sha256": h.hexdigest()}
manifest = {
    "product": "jiyuan-311", "format": 1,
    "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "schema_revision": revision, "event_log_last_seq": int(seq),
    "rows": {"incidents": int(incidents), "events": int(events),
             "overdue_records": int(records), "photos": int(photo_rows)},
    "photo_dir": os.path.abspath(photos),
    "files": [digest("database.dump"), digest("photos.tar")],
}
with open(os.path.join(out, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=2)
    f.write("\n")
PY
say "done: revision $(cut -d' ' -f1 <<<"$facts"), event log at seq $(cut -d' ' -f2 <<<"$facts")"
echo "$out"
