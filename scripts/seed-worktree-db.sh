#!/usr/bin/env bash
# Seed this checkout's database, or give the checkout a database of its own.
#
#   scripts/seed-worktree-db.sh                         # migrate and seed the database this checkout uses
#                                                       # (the shared instance database by default)
#   ISOLATED=true scripts/seed-worktree-db.sh           # create .dev-data/instance-N/worktree_<unix time>.db,
#                                                       # migrate and seed it, and point this checkout's .env
#                                                       # at it (SQLITE_DATABASE=…)
#   ISOLATED=true DB_NAME=my_test scripts/seed-worktree-db.sh   # … named my_test.db
#   FORCE=true scripts/seed-worktree-db.sh              # also rewrite seeded rows that differ from the seed
#
# A thin wrapper: `orient-seed` and `orient-db worktree` do the work. It builds both binaries with cargo
# into the same target directory (orient-db runs the orient-seed that sits beside it), or uses the
# binaries in ORIENT_BIN_DIR when that is set.
set -euo pipefail
cd "$(dirname "$0")/.."

truthy() {
  case "${1:-}" in
    true | TRUE | True | 1 | yes) return 0 ;;
    *) return 1 ;;
  esac
}

if [ -n "${ORIENT_BIN_DIR:-}" ]; then
  bin="$ORIENT_BIN_DIR"
else
  cargo build --quiet -p orient-database -p orient-seed --bins
  target="$(cargo metadata --no-deps --format-version 1 | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
  bin="${target:-target}/debug"
fi

force=()
if truthy "${FORCE:-}"; then
  force=(--force)
fi

if truthy "${ISOLATED:-}"; then
  name=()
  if [ -n "${DB_NAME:-}" ]; then
    name=(--name "$DB_NAME")
  fi
  "$bin/orient-db" worktree --isolated ${name[@]+"${name[@]}"} ${force[@]+"${force[@]}"}
else
  if [ -n "${DB_NAME:-}" ]; then
    echo "note: DB_NAME is used with ISOLATED=true only; seeding the database this checkout uses" >&2
  fi
  "$bin/orient-seed" ${force[@]+"${force[@]}"}
  "$bin/orient-db" worktree
fi
