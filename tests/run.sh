#!/usr/bin/env bash
# Runs every test of the portal on a fresh machine with the .NET 10 SDK:
# installs what NuGet does not bring, runs `dotnet test Portal.sln`, and ends with one line
# `N passed, N failed, N skipped` summed over all test projects.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

if ! command -v chromium >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests..."
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

dotnet tool restore >/dev/null

results="$root/TestResults"
rm -rf "$results"

status=0
dotnet test Portal.sln --logger trx --results-directory "$results" "$@" || status=$?

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
