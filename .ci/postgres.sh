# Sourced by .ci/run: installs PostgreSQL from the distribution's packages, starts a throwaway
# server in a scratch directory (127.0.0.1 only, trust authentication: nothing else can reach
# it), creates a database and exports KMS_IMPORT_TEST_POSTGRES_URL for the store tests.
# Stopped by the EXIT trap it installs.
pg_setup() {
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >/dev/null
  fi
  local bin port dir
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  port=${KMS_IMPORT_CI_PG_PORT:-54329}
  dir=$(mktemp -d /tmp/kms-import-pg.XXXXXX)
  chown postgres:postgres "$dir"
  runuser -u postgres -- "$bin/initdb" -D "$dir/data" -U postgres --auth=trust \
    --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log"; return 1; }
  runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c fsync=on" start \
    >/dev/null || { cat "$dir/server.log"; return 1; }
  PG_CI_STOP="runuser -u postgres -- $bin/pg_ctl -D $dir/data -m fast stop"
  trap 'eval "$PG_CI_STOP" >/dev/null 2>&1 || true' EXIT
  runuser -u postgres -- "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -qAt \
    -c "CREATE DATABASE kms_import_test" >/dev/null
  export KMS_IMPORT_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/kms_import_test"
  "$bin/postgres" --version
  echo "PostgreSQL on 127.0.0.1:$port (data in $dir), KMS_IMPORT_TEST_POSTGRES_URL exported"
}
