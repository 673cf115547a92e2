#!/usr/bin/env bash
# Prepares a Debian/Ubuntu machine (as root) to run skillgate and its tests:
#   Docker + gVisor (runsc) + debootstrap + Bandit from apt when missing, the two
#   runsc runtimes in /etc/docker/daemon.json (merged into an existing file),
#   dockerd started when it does not answer (there may be no systemd), npm
#   packages, the TypeScript build, and the sandbox image (built when missing).
# Idempotent: a second run changes nothing and takes seconds. CI runs it (.ci/run).
set -euo pipefail

say() { echo "setup: $*" >&2; }
die() { echo "setup: ERROR: $*" >&2; exit 1; }

root_dir=$(cd "$(dirname "$0")/.." && pwd)
cd "$root_dir"

[ "$(id -u)" -eq 0 ] || die "run as root (e.g. sudo bash scripts/setup.sh): it installs packages and configures dockerd"

trace_dir=${SKILLGATE_TRACE_DIR:-/var/lib/skillgate/trace/}
case "$trace_dir" in */) ;; *) trace_dir="$trace_dir/" ;; esac
dockerd_log=${SKILLGATE_DOCKERD_LOG:-/var/log/skillgate-dockerd.log}

apt_install() {
  say "apt-get install $*"
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "${apt_updated:-}" ]; then apt-get update -q; apt_updated=1; fi
  apt-get install -y -q --no-install-recommends "$@"
}

# 1. Node.js >= 20.18 (the distribution's package when it is recent enough; otherwise say how).
command -v node >/dev/null || apt_install nodejs npm || true
command -v node >/dev/null || die "node is missing: install Node.js >= 20.18 (nodejs.org or NodeSource), then rerun"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=18)?0:1)' ||
  die "node $(node --version) is too old: skillgate needs Node.js >= 20.18 (nodejs.org or NodeSource)"
command -v npm >/dev/null || apt_install npm

# 2. System packages (a C++ toolchain too: better-sqlite3 compiles when no prebuilt binary is reachable).
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v runsc >/dev/null || missing+=(runsc)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v bandit >/dev/null || missing+=(bandit)
command -v flock >/dev/null || missing+=(util-linux)
command -v pgrep >/dev/null || missing+=(procps)
command -v g++ >/dev/null || missing+=(g++)
command -v make >/dev/null || missing+=(make)
command -v python3 >/dev/null || missing+=(python3)
[ -e /etc/ssl/certs/ca-certificates.crt ] || missing+=(ca-certificates)
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
runsc_path=$(command -v runsc)
say "runsc: $($runsc_path --version | head -n1)"

# 3. npm packages (when missing or not matching package-lock.json) and the build.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] || ! npm ls --depth=0 >/dev/null 2>&1; then
  say "npm ci"
  npm ci --no-audit --no-fund
fi
say "npm run build"
npm run build --silent

# 4. The runsc runtimes in daemon.json (src/sandbox/daemonConfig.ts): merged into an existing
#    file; entries that already do the job are kept, so a working daemon is not disturbed.
daemon_json=${SKILLGATE_DAEMON_JSON:-/etc/docker/daemon.json}
mkdir -p "$(dirname "$daemon_json")"
daemon_changed=no
result=$(node dist/src/sandbox/daemonConfig.js "$daemon_json" "$runsc_path" "$trace_dir") || die "cannot update $daemon_json"
if [ "${result%% *}" = changed ]; then
  daemon_changed=yes
  say "wrote the runsc runtimes into $daemon_json"
fi
# The trace folder actually configured (an existing working entry may name another one) must exist.
used_trace_dir=${result#* }
if [ ! -d "$used_trace_dir" ]; then
  mkdir -p "$used_trace_dir"
  chmod 0700 "$used_trace_dir"
fi

# 5. dockerd: start it when it does not answer; make it reload a changed daemon.json.
docker_answers() { timeout 10 docker info >/dev/null 2>&1; }
wait_docker() {
  local i
  for i in $(seq 1 60); do
    docker_answers && return 0
    sleep 1
  done
  say "dockerd did not answer within 60 s; last lines of $dockerd_log:"
  tail -n 30 "$dockerd_log" >&2 || true
  return 1
}
start_dockerd() {
  say "starting dockerd (log: $dockerd_log)"
  nohup dockerd --config-file "$daemon_json" >>"$dockerd_log" 2>&1 </dev/null &
  wait_docker || die "dockerd does not start"
}
runtimes_registered() {
  timeout 10 docker info --format '{{json .Runtimes}}' 2>/dev/null | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const r = JSON.parse(s || "{}");
      process.exit(r.runsc && r["runsc-trace"] && (r["runsc-trace"].runtimeArgs || []).includes("--strace") ? 0 : 1);
    });'
}
if ! docker_answers; then
  if pgrep -x dockerd >/dev/null; then
    say "dockerd runs but does not answer yet; waiting"
    wait_docker || die "dockerd is running but not answering"
  else
    start_dockerd
  fi
elif [ "$daemon_changed" = yes ] || ! runtimes_registered; then
  # dockerd reloads its runtimes on SIGHUP; restart only when that is not enough.
  dockerd_pid=$(cat /var/run/docker.pid 2>/dev/null || true)
  [ -n "$dockerd_pid" ] || die "dockerd answers but /var/run/docker.pid is missing: restart dockerd yourself so it reads /etc/docker/daemon.json"
  say "reloading dockerd (pid $dockerd_pid) for the new runtimes"
  kill -HUP "$dockerd_pid" || true
  sleep 2
  if ! runtimes_registered; then
    say "restarting dockerd (pid $dockerd_pid)"
    kill -TERM "$dockerd_pid" || true
    for _ in $(seq 1 30); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 1; done
    start_dockerd
  fi
fi
runtimes_registered || die "dockerd does not list the runsc and runsc-trace runtimes (see /etc/docker/daemon.json and $dockerd_log)"
say "docker $(docker version --format '{{.Server.Version}}') with runsc runtimes"

# 6. The sandbox image for the current recipe (built when missing), then a full preflight.
node dist/src/sandbox/ensureImage.js
say "ready"
