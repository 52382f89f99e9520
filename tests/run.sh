#!/usr/bin/env bash
# Runs every test of the portal on a fresh machine with the .NET 10 SDK:
# installs what NuGet does not bring (Debian's chromium, postgresql, redis-server and openssh-server, and Azurite from
# npm once into ~/.cache/portal-tests), starts a throw-away PostgreSQL, Redis, SFTP server and Azurite on free loopback
# ports, builds Portal.sln once, runs the unit and integration tests in two lanes
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
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v npm >/dev/null 2>&1 || missing+=(npm)
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
sshd_pid=""
sftp_user=""
azurite_pid=""
stop_engines() {
  if [ -n "$pg_started" ]; then as_postgres "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true; fi
  if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; fi
  if [ -n "$azurite_pid" ]; then kill "$azurite_pid" 2>/dev/null || true; fi
  if [ -n "$sshd_pid" ]; then $sudo kill "$(cat "$engines/sftp/sshd.pid" 2>/dev/null || echo "$sshd_pid")" 2>/dev/null || true; fi
  if [ -n "$sftp_user" ]; then $sudo userdel "$sftp_user" >/dev/null 2>&1 || true; fi
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

wait_for_port() { # port process-id name
  for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    if ! kill -0 "$2" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "$3 did not start on port $1:" >&2
  cat "$engines/$3.log" >&2 || true
  return 1
}

# SFTP: Debian's sshd with a config, host key and user of this run only; sftp only (internal-sftp, no shell, no
# forwarding), password or key, on loopback. It runs as root (it must, to sign in another user); StrictModes is off
# because its files live in the temporary folder, and /run/sshd is the privilege separation directory it requires.
sftp_dir="$engines/sftp"
mkdir -p "$sftp_dir/root"
sftp_user="ptsftp$RANDOM$RANDOM"
sftp_password="sftp-$RANDOM$RANDOM$RANDOM"
$sudo useradd --no-create-home --home-dir "$sftp_dir/root" --shell /usr/sbin/nologin "$sftp_user"
echo "$sftp_user:$sftp_password" | $sudo chpasswd
$sudo chown "$sftp_user" "$sftp_dir/root"
chmod 755 "$sftp_dir" "$sftp_dir/root"
ssh-keygen -q -t ed25519 -N "" -C portal-tests -f "$sftp_dir/client_key"
cp "$sftp_dir/client_key.pub" "$sftp_dir/authorized_keys"
chmod 644 "$sftp_dir/authorized_keys"
$sudo ssh-keygen -q -t ed25519 -N "" -C portal-tests-host -f "$sftp_dir/host_key"
$sudo install -d -m 755 /run/sshd
sftp_port=$(free_port)
cat >"$sftp_dir/sshd_config" <<CONFIG
Port $sftp_port
ListenAddress 127.0.0.1
HostKey $sftp_dir/host_key
PidFile $sftp_dir/sshd.pid
AllowUsers $sftp_user
AuthorizedKeysFile $sftp_dir/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin no
AllowTcpForwarding no
X11Forwarding no
MaxStartups 100
Subsystem sftp internal-sftp
ForceCommand internal-sftp
CONFIG
# Newer OpenSSH shuts out a source address after failed sign-ins, and the tests fail some on purpose.
if $sudo /usr/sbin/sshd -t -f "$sftp_dir/sshd_config" -o PerSourcePenalties=no >/dev/null 2>&1; then
  echo "PerSourcePenalties no" >>"$sftp_dir/sshd_config"
fi
$sudo /usr/sbin/sshd -D -e -f "$sftp_dir/sshd_config" >"$engines/sshd.log" 2>&1 &
sshd_pid=$!
wait_for_port "$sftp_port" "$sshd_pid" sshd
export PORTAL_TEST_SFTP="127.0.0.1:$sftp_port"
export PORTAL_TEST_SFTP_USER="$sftp_user"
export PORTAL_TEST_SFTP_PASSWORD="$sftp_password"
export PORTAL_TEST_SFTP_KEY="$sftp_dir/client_key"
PORTAL_TEST_SFTP_FINGERPRINT=$(ssh-keygen -l -E sha256 -f "$sftp_dir/host_key.pub" | awk '{print $2}')
export PORTAL_TEST_SFTP_FINGERPRINT
export PORTAL_TEST_SFTP_ROOT="$sftp_dir/root"

# Azurite, Microsoft's Azure Storage emulator: installed once from npm into a cache folder, blob service only, its
# data in the temporary folder.
azurite_dir="$HOME/.cache/portal-tests/azurite"
if [ ! -x "$azurite_dir/node_modules/.bin/azurite-blob" ]; then
  echo "Installing Azurite into $azurite_dir..."
  npm install --prefix "$azurite_dir" --no-audit --no-fund --loglevel=error azurite@3 >/dev/null
fi
azurite_port=$(free_port)
"$azurite_dir/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$azurite_port" --location "$engines/azurite" \
  --skipApiVersionCheck --silent >"$engines/azurite.log" 2>&1 &
azurite_pid=$!
wait_for_port "$azurite_port" "$azurite_pid" azurite
export PORTAL_TEST_AZURITE="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:$azurite_port/devstoreaccount1;"

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
