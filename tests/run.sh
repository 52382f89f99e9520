#!/usr/bin/env bash
# Runs every test of the portal on a fresh machine with the .NET 10 SDK:
# installs what NuGet does not bring (Debian's chromium, postgresql and redis-server), starts a throw-away
# PostgreSQL and Redis on free loopback ports, builds Portal.sln once, runs the unit and integration tests in two lanes
# side by side (on SQLite, then again on PostgreSQL) and then the browser tests alone, stops both servers, and ends
# with one line `N passed, N failed, N skipped` summed over all test runs. Arguments go to each `dotnet test`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
pg_bin=/usr/lib/postgresql/15/bin
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# The browser tests type dates in a German Chromium too; Chromium lays out date fields in its UI language.
[ -f /usr/lib/chromium/locales/de.pak ] || missing+=(chromium-l10n)
[ -x "$pg_bin/initdb" ] || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian's ${missing[*]} for the tests..."
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# The package starts a cluster of its own on 5432 on some machines; the tests use only their own.

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

engines=$(mktemp -d)
chmod 755 "$engines"
pg_dir="$engines/postgres"
pg_started=""
redis_pid=""
stop_engines() {
  if [ -n "$pg_started" ]; then as_postgres "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true; fi
  if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; fi
  $sudo rm -rf "$engines"
}
trap stop_engines EXIT

# PostgreSQL: a cluster in a temporary folder owned by postgres, on loopback only, its socket in that folder; durability
# settings off, since the data lives only as long as this run.
$sudo install -d -o postgres -m 700 "$pg_dir"
pg_port=$(free_port)
pg_password="portal-tests-$RANDOM$RANDOM"
echo "$pg_password" | as_postgres tee "$pg_dir/pwfile" >/dev/null
as_postgres "$pg_bin/initdb" -D "$pg_dir/data" -U portal --pwfile="$pg_dir/pwfile" -A scram-sha-256 --no-locale -E UTF8 >/dev/null
pg_started=1
as_postgres "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/postgres.log" -w -o \
  "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=500 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null
export PORTAL_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=portal;Password=$pg_password"

# Redis: no persistence, loopback only.
redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >"$engines/redis.log" 2>&1 &
redis_pid=$!
export PORTAL_TEST_REDIS="127.0.0.1:$redis_port"
for _ in $(seq 1 50); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$redis_port") 2>/dev/null; then break; fi
  sleep 0.1
done

dotnet tool restore >/dev/null

results="$root/TestResults"
rm -rf "$results"
mkdir -p "$results"

# A test process lives for seconds to minutes: the runtime's profile-guided recompilation costs it more CPU than the
# faster code it yields pays back (a third of Portal.Tests' CPU time on this 2-core machine).
export DOTNET_TieredPGO=0

status=0
dotnet build Portal.sln || status=$?

if [ "$status" -eq 0 ]; then
  run_tests() { # project provider [dotnet test arguments]
    local project=$1 provider=$2
    shift 2
    PORTAL_TEST_PROVIDER=$provider dotnet test "tests/$project" --no-build \
      --logger "trx;LogFileName=$project.$provider.trx" --results-directory "$results" "$@"
  }

  # Two lanes side by side: the simulator's and the portal's unit tests, and the integration tests, each on SQLite and
  # then on PostgreSQL (the tests that touch the database; each fixture gets its own database). One lane alone leaves
  # a core idle a third of the time: its tests wait on sockets, timers and the engines.
  (
    lane=0
    run_tests DeviceApi.Simulator.Tests Sqlite "$@" || lane=$?
    run_tests Portal.Tests Sqlite "$@" || lane=$?
    run_tests Portal.Tests PostgreSQL "$@" || lane=$?
    exit "$lane"
  ) >"$results/unit-lane.log" 2>&1 &
  unit_lane=$!
  run_tests Portal.IntegrationTests Sqlite "$@" || status=$?
  run_tests Portal.IntegrationTests PostgreSQL "$@" || status=$?
  wait "$unit_lane" || status=$?
  cat "$results/unit-lane.log"
  # The browser tests alone: they run three portals and three browsers of their own side by side, which fills both
  # cores; a test process beside them would stretch their waits to the ceiling.
  run_tests Portal.E2E Sqlite "$@" || status=$?
fi

passed=0 failed=0 skipped=0
shopt -s nullglob
for trx in "$results"/*.trx; do
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  value() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  total=$(value total) p=$(value passed) f=$(value failed)
  passed=$((passed + p))
  failed=$((failed + f))
  skipped=$((skipped + total - p - f))
done

if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # The run failed before any test could (a build error, a crashed test host): count it.
  failed=1
fi

echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
