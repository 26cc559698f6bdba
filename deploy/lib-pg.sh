# Sourced by run-local.sh and test.sh: a private PostgreSQL cluster in a directory of ours.
# initdb and pg_ctl run as the `postgres` user when we are root (PostgreSQL refuses root).

pg_bindir() {
  local d
  for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  echo "PostgreSQL server binaries not found; run deploy/install-deps.sh" >&2
  return 1
}

pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    # runuser keeps no tty and needs no password; cd / so postgres may read its cwd
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

pg_free_port() {
  python3 - <<'PY' 2>/dev/null || echo $((20000 + RANDOM % 20000))
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

# pg_start DATADIR [PORT]: creates the cluster when missing, starts it on 127.0.0.1:PORT,
# writes the port to DATADIR/../pg.port and prints it. ZHKH_PG_OPTS adds server settings
# (e.g. "-c shared_preload_libraries=pg_stat_statements" to see where a benchmark's time goes).
pg_start() {
  local datadir="$1" port="${2:-}" bin
  bin=$(pg_bindir) || return 1
  mkdir -p "$datadir"
  if [ "$(id -u)" -eq 0 ]; then chown -R postgres:postgres "$datadir"; chmod 700 "$datadir"; fi
  if [ ! -f "$datadir/PG_VERSION" ]; then
    pg_as_owner "$bin/initdb" -D "$datadir" -U postgres --auth=trust --encoding=UTF8 \
      --locale=C.UTF-8 >"$datadir.initdb.log" 2>&1 || { cat "$datadir.initdb.log" >&2; return 1; }
  fi
  [ -n "$port" ] || port=$(pg_free_port)
  # Durable by default (fsync on); the socket lives in the data dir so clusters never collide.
  # max_wal_size 4GB: the hub writes in bulk (a million-line registry, imported and applied, is
  # ~1.5 GB of WAL). At the default 1GB a checkpoint came every few hundred thousand payments, and
  # after each one every page's first change is written whole again: the billing store applied
  # 1M batched payments at 19k/s, and at 33k/s with this. WAL on disk stays within the setting.
  pg_as_owner "$bin/pg_ctl" -D "$datadir" -w -t 60 -l "$datadir/server.log" \
    -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$datadir -c max_connections=200 -c shared_buffers=256MB -c max_wal_size=4GB ${ZHKH_PG_OPTS:-}" \
    start >/dev/null || { tail -20 "$datadir/server.log" >&2; return 1; }
  echo "$port"
}

pg_stop() {
  local datadir="$1" bin
  bin=$(pg_bindir) || return 1
  [ -f "$datadir/postmaster.pid" ] && pg_as_owner "$bin/pg_ctl" -D "$datadir" -m fast -w stop >/dev/null 2>&1
  return 0
}
