#!/usr/bin/env bash
# Runs every test of Spokes: installs the servers the tests start (redis-server, rabbitmq-server,
# OpenStack Swift, memcached) and the browser they drive (Chromium) when missing, builds, runs the .NET tests and then the conformance tests
# (Stoat's client library against the running suite), checks that no test left a process behind, and
# ends with one line: "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
command -v swift-proxy-server >/dev/null || missing+=(swift swift-proxy swift-account swift-container swift-object)
command -v memcached >/dev/null || missing+=(memcached)
command -v npm >/dev/null || missing+=(npm)
# The edge's SSH front door is tested with OpenSSH's own client (ssh, ssh-keygen).
command -v ssh-keygen >/dev/null || missing+=(openssh-client)
# The Aspire dashboard is tested in a real browser: Playwright drives Debian's Chromium.
[ -x /usr/bin/chromium ] || missing+=(chromium)
# The tunnel edge's ACME client is tested against Let's Encrypt's test CA (pebble, with its test DNS server).
command -v pebble >/dev/null && command -v pebble-challtestsrv >/dev/null || missing+=(pebble)
# Its DNS-01 test's hook sets TXT records through pebble-challtestsrv's HTTP API with curl.
command -v curl >/dev/null || missing+=(curl)
# The tunnel edge is published ahead-of-time (native code), which links with clang against zlib.
command -v clang >/dev/null || missing+=(clang)
compgen -G '/usr/lib/*/libz.so' >/dev/null || compgen -G '/usr/lib/libz.so' >/dev/null || missing+=(zlib1g-dev)
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing the servers the tests need: ${missing[*]}"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; then
      echo "Could not install ${missing[*]} with apt-get." >&2
      echo "0 passed, 1 failed"
      exit 1
    fi
  else
    echo "Missing: ${missing[*]}. Run: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
fi

# Every server a test starts lives under this folder, so what is left afterwards can be found.
run_dir=$(mktemp -d /tmp/spokes-tests.XXXXXX)
export TMPDIR="$run_dir"
# Every suite a test starts is given its master password, so none generates one into this user's secrets.
export SPOKES_MASTER_PASSWORD="spokes tests master password"
# The tests start some fifteen suites and hundreds of short-lived hosts, so much of their CPU is the JIT's: without
# profile-guided tiering a hot method is compiled twice, not three times (a suite's AppHost took a third less CPU to
# start). The code that runs is the same.
export DOTNET_TieredPGO=0
trap 'rm -rf "$run_dir"' EXIT

if ! dotnet build Spokes.sln -nologo -v quiet -clp:ErrorsOnly; then
  echo "Build failed."
  echo "0 passed, 1 failed"
  exit 1
fi

# The Node packages serve both test kinds: the .NET tests send account emails to smtp-server, and the
# conformance tests run stoat.js.
if ! (cd tests/conformance && npm ci --no-audit --no-fund --loglevel=error); then
  echo "npm ci in tests/conformance failed."
  echo "0 passed, 1 failed"
  exit 1
fi

# The edge ships published ahead-of-time, and its tests run once more against that program. The native build runs
# beside the tests at the lowest priority: it takes the CPU they leave idle while they wait on their servers.
edge_aot="$PWD/artifacts/publish/Spokes.TunnelEdge-aot"
nice -n 19 dotnet publish services/TunnelEdge -c Release -o "$edge_aot" -nologo -v quiet -clp:ErrorsOnly > "$run_dir/edge-aot.log" 2>&1 &
edge_aot_build=$!

dotnet test Spokes.sln --no-build -nologo --logger trx --results-directory "$run_dir/results" "$@" 2>&1 | tee "$run_dir/dotnet-test.log"
test_status=${PIPESTATUS[0]}

aot_reports=0; aot_build_failed=0
if wait "$edge_aot_build"; then
  SPOKES_TEST_EDGE_PROGRAM="$edge_aot/Spokes.TunnelEdge" dotnet test tests/TunnelEdge.Tests --no-build -nologo \
    --logger "trx;LogFileName=tunnel-edge-aot.trx" --results-directory "$run_dir/results" "$@" 2>&1 | tee -a "$run_dir/dotnet-test.log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || test_status=1
  aot_reports=1
else
  echo "The ahead-of-time build of the tunnel edge failed:"
  cat "$run_dir/edge-aot.log"
  aot_build_failed=1
fi

passed=0; failed=0; skipped=0; reports=0
for trx in "$run_dir"/results/*.trx; do
  [ -e "$trx" ] || continue
  reports=$((reports + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  count() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  passed=$((passed + $(count passed)))
  failed=$((failed + $(count failed) + $(count error) + $(count timeout) + $(count aborted)))
  skipped=$((skipped + $(count total) - $(count executed)))
done

# An aborted test run (a test host that crashed or could not start) is a failure, never nothing.
aborted=$(grep -c '^Test Run Aborted' "$run_dir/dotnet-test.log" || true)
failed=$((failed + aborted + aot_build_failed))

# A test project whose host crashed writes no report: count it as a failure, never as nothing.
projects=$(( $(grep -c 'tests\\[^"]*\.Tests\.csproj' Spokes.sln) + aot_reports ))
if [ "$reports" -lt "$projects" ]; then
  echo "Only $reports of $projects test projects reported results."
  failed=$((failed + projects - reports))
fi

# Conformance: Stoat's own client library (tests/conformance) drives the suite, started as a user starts
# it, through its Gateway; every response is checked against Stoat's OpenAPI schema.
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
port=$(free_port); dashboard_port=$(free_port); smtp_port=$(free_port); pages_port=$(free_port)
# Voice: the suite's LiveKit node is the RoomService stand-in tests/conformance/voice.mjs starts on livekit_port.
livekit_port=$(free_port); livekit_key=spokes-conformance; livekit_secret=$(node -e "console.log(require('crypto').randomBytes(24).toString('hex'))")
# Webhooks are off by default, as in Stoat; the conformance tests use them. The Api mails its links to the
# conformance tests, which listen on smtp_port (tests/conformance/mailbox.mjs). January and Gifbox may reach the
# conformance tests' page server on pages_port, and nothing else private (tests/conformance/embeds.mjs). Setup is
# answered by a file, as an automated deployment answers it, so that sign-up is open from the start; it names
# tests/suite.spokes-license, verified with this key (a name with dashes: given through env), as demo mode would
# refuse the tests' eleventh account.
license_key=evk4TLud8EVQqmNFQ5JGtk2DNuRWBtDKdmisziOBaJ4=
SPOKES_SETUP_FILE="$PWD/tests/suite-setup.json" SPOKES_APPHOST_DATA="$run_dir/suite" SPOKES_EGRESS_ALLOW="127.0.0.1:$pages_port" \
  Api__WebhooksEnabled=true Api__SmtpHost=127.0.0.1 Api__SmtpPort="$smtp_port" Api__SmtpUseTls=false \
  LiveKit__Url="http://127.0.0.1:$livekit_port" LiveKit__ApiKey="$livekit_key" LiveKit__ApiSecret="$livekit_secret" \
  env "Parameters__license-verifying-key=$license_key" dotnet artifacts/bin/AppHost/debug/Spokes.AppHost.dll --profile local --data "$run_dir/suite" \
  --port "$port" --dashboard-port "$dashboard_port" > "$run_dir/suite.log" 2>&1 &
apphost=$!
suite_up=0
for _ in $(seq 1 180); do
  if grep -q '^Spokes is up' "$run_dir/suite.log"; then suite_up=1; break; fi
  kill -0 "$apphost" 2>/dev/null || break
  sleep 1
done
if [ "$suite_up" = 1 ]; then
  # A test that leaves a handle open keeps Node running after the last test: that is a failure, not a hang.
  (cd tests/conformance && SPOKES_URL="http://127.0.0.1:$port" SPOKES_SMTP_PORT="$smtp_port" SPOKES_TEST_PAGES_PORT="$pages_port" SPOKES_TEST_STRICT=1 \
    SPOKES_TEST_LIVEKIT_PORT="$livekit_port" SPOKES_LIVEKIT_API_KEY="$livekit_key" SPOKES_LIVEKIT_API_SECRET="$livekit_secret" \
    timeout 900 node --test --test-reporter=tap) > "$run_dir/conformance.tap" 2>&1
  conformance_status=$?
  grep -E '^(not )?ok |^# (operations|pass|fail)' "$run_dir/conformance.tap"
  # The run folder is deleted at exit: show why each failing test failed.
  grep -A12 '^not ok ' "$run_dir/conformance.tap" | grep -vE '^\s+at ' || true
  conformance_passed=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$run_dir/conformance.tap" | tail -1)
  conformance_failed=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$run_dir/conformance.tap" | tail -1)
  passed=$((passed + ${conformance_passed:-0}))
  failed=$((failed + ${conformance_failed:-0}))
  # Failed tests are counted above; an exit without them (a crash, the timeout) is one more failure.
  if [ -z "$conformance_passed" ] || { [ "$conformance_status" -ne 0 ] && [ "${conformance_failed:-0}" -eq 0 ]; }; then
    echo "The conformance run did not finish cleanly (exit $conformance_status):"
    tail -20 "$run_dir/conformance.tap"
    failed=$((failed + 1))
  fi
else
  echo "The conformance tests could not run: the suite did not start. Suite log:"
  tail -30 "$run_dir/suite.log"
  failed=$((failed + 1))
fi
kill -TERM "$apphost" 2>/dev/null
for _ in $(seq 1 60); do kill -0 "$apphost" 2>/dev/null || break; sleep 1; done
kill -KILL "$apphost" 2>/dev/null
wait "$apphost" 2>/dev/null

# A process of a test is marked in its environment or works inside the run folder (servers such as
# redis-server overwrite their environment with their process title). Zombies have ended already.
left_behind() {
  for proc in /proc/[0-9]*; do
    [ "$(sed 's/.*) //' "$proc/stat" 2>/dev/null | cut -c1)" = Z ] && continue
    if { tr '\0' '\n' < "$proc/environ"; } 2>/dev/null | grep -qE "^SPOKES_APPHOST_DATA=($run_dir|apphost-test)" \
       || [[ "$(readlink "$proc/cwd" 2>/dev/null)" == "$run_dir"/* ]]; then
      echo "${proc#/proc/} $({ tr '\0' ' ' < "$proc/cmdline"; } 2>/dev/null)"
    fi
  done
}
# DCP finishes stopping what it ran a moment after an AppHost exits: give it up to 30 s.
for _ in $(seq 1 30); do
  [ -z "$(left_behind)" ] && break
  sleep 1
done
leftovers=$(left_behind)
if [ -n "$leftovers" ]; then
  echo "$leftovers" | sed 's/^/Left behind by a test: /'
  failed=$((failed + 1))
fi

# The run folder is deleted at exit: name each failed .NET test and why, where the end of the output shows it.
failures=$(grep -E -A8 '^\s+Failed [A-Za-z_]' "$run_dir/dotnet-test.log" | grep -vE '^\s+at |^\s*$' || true)
if [ -n "$failures" ]; then
  echo "Failed .NET tests:"
  echo "$failures" | head -120
fi

echo "$passed passed, $failed failed, $skipped skipped"
if [ "$failed" -gt 0 ] || [ "$test_status" -ne 0 ]; then
  exit 1
fi
