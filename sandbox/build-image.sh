#!/usr/bin/env bash
# Builds the skillgate sandbox image without any container registry, in two stages:
#  1. the base rootfs: debootstrap a minimal Debian with python3 + Bandit and the
#     unprivileged user, `docker import`ed as skillgate-sandbox-base:<hash of this
#     script> (about a minute; reused while this script is unchanged);
#  2. the image: the base plus the in-sandbox helpers (sandbox/harness/*.py in
#     /opt/skillgate), committed under the tag given (a few seconds).
# Usage: sandbox/build-image.sh TAG
# The tag is computed by skillgate from the hash of this folder (src/sandbox/imageTag.ts),
# so any change to the recipe yields a new image. Builds on one host are serialised.
set -euo pipefail
tag=${1:?usage: build-image.sh TAG}
here=$(cd "$(dirname "$0")" && pwd)
say() { echo "build-image: $*" >&2; }

for tool in docker flock sha256sum; do
  command -v "$tool" >/dev/null || { say "$tool is missing (run scripts/setup.sh as root)"; exit 1; }
done

# One build at a time per host: parallel debootstraps only thrash a small machine.
exec 9>"${TMPDIR:-/tmp}/skillgate-build-image.lock"
flock 9

if docker image inspect "$tag" >/dev/null 2>&1; then say "$tag already present"; exit 0; fi

build_base() {
  command -v debootstrap >/dev/null || { say "debootstrap is missing (run scripts/setup.sh as root)"; exit 1; }
  # Use the Debian mirror and suite this host already uses, so no address is baked in.
  local mirror=${SKILLGATE_DEBIAN_MIRROR:-}
  if [ -z "$mirror" ]; then
    mirror=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -n1 || true)
  fi
  if [ -z "$mirror" ]; then
    mirror=$(grep -hsE '^deb ' /etc/apt/sources.list | awk '{print $2}' | grep -v security | head -n1 || true)
  fi
  [ -n "$mirror" ] || { say "no Debian mirror found in apt sources; set SKILLGATE_DEBIAN_MIRROR"; exit 1; }
  local suite=${SKILLGATE_DEBIAN_SUITE:-bookworm}
  local root
  work=$(mktemp -d "${TMPDIR:-/tmp}/skillgate-rootfs.XXXXXX") # global: the EXIT trap needs it
  trap 'rm -rf "$work"' EXIT
  root="$work/rootfs"

  say "debootstrap $suite from $mirror (base $base)"
  debootstrap --variant=minbase --include=python3-minimal,python3-bandit \
    "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -n 30 "$work/debootstrap.log" >&2; exit 1; }

  # The unprivileged sandbox user; its home is a tmpfs at run time (the harness writes the decoys there).
  echo 'skill:x:10001:10001:skill:/home/skill:/usr/sbin/nologin' >>"$root/etc/passwd"
  echo 'skill:x:10001:' >>"$root/etc/group"
  mkdir -p "$root/home/skill" "$root/skill" "$root/skills" "$root/opt/skillgate"
  chown 10001:10001 "$root/home/skill"
  # Precompile the stdlib so a read-only root starts fast.
  chroot "$root" python3 -m compileall -q /usr/lib/python3 >/dev/null 2>&1 || true
  # Bandit's plugin entry points and version, read once here from the package metadata, so the
  # static gate need not scan every distribution at each start (static_rules.py's fast path).
  mkdir -p "$root/usr/local/share/skillgate"
  chroot "$root" python3 -I -c '
import importlib.metadata as md, json, sys
eps = md.entry_points()
groups = {g: [[e.name, e.value] for e in eps.select(group=g)] for g in ("bandit.plugins", "bandit.blacklists", "bandit.formatters")}
if not groups["bandit.plugins"] or not groups["bandit.blacklists"]:
    sys.exit("no Bandit entry points found")
json.dump({"version": 1, "bandit": md.version("bandit"), "groups": groups}, sys.stdout, indent=1)
' >"$root/usr/local/share/skillgate/bandit-entry-points.json" || { say "cannot record Bandit's entry points"; exit 1; }

  # Trim what a sandbox never needs.
  rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* \
    "$root"/usr/share/man/* "$root"/usr/share/locale/* "$root"/var/log/*

  say "docker import $base"
  tar -C "$root" -c . | docker import - "$base" >/dev/null
  rm -rf "$work"
  trap - EXIT
}

# The base is named after the text of build_base itself: editing stage 2 reuses it.
base="skillgate-sandbox-base:$( (declare -f build_base; echo "${SKILLGATE_DEBIAN_SUITE:-bookworm}") | sha256sum | cut -c1-16)"
if docker image inspect "$base" >/dev/null 2>&1; then
  say "reusing base $base"
else
  build_base
fi

# Stage 2: the helpers on top of the base (docker create + cp + start + commit: no registry, no build
# context). The container's one run, only our code, writes each helper program's module bundle
# (module_bundle.py) from this image's own files, with the flags the program runs with, and
# compiles the helpers: the programs are started from their .pyc (Python compiles a script given
# as .py at every start, 10 to 30 ms each under gVisor); runner.py's and module_bundle.py's land
# in __pycache__, where CPython's source loader finds and checks them.
cid=$(docker create --network none --user 0:0 "$base" sh -ec '
python3 -I -S /opt/skillgate/build_module_bundle.py static_rules
python3 -I /opt/skillgate/build_module_bundle.py harness
python3 -I -c "
import py_compile
for name in (\"static_rules\", \"harness\"):
    source = \"/opt/skillgate/%s.py\" % name
    py_compile.compile(source, cfile=source + \"c\", dfile=source, doraise=True)
for name in (\"runner\", \"module_bundle\"):
    py_compile.compile(\"/opt/skillgate/%s.py\" % name, doraise=True)
"')
trap 'docker rm -f "$cid" >/dev/null 2>&1 || true' EXIT
shopt -s nullglob
helpers=("$here"/harness/*.py)
shopt -u nullglob
stage=$(mktemp -d "${TMPDIR:-/tmp}/skillgate-helpers.XXXXXX")
mkdir -p "$stage/skillgate"
[ ${#helpers[@]} -eq 0 ] || cp "${helpers[@]}" "$stage/skillgate/"
chmod 0755 "$stage/skillgate"
find "$stage/skillgate" -type f -exec chmod 0644 {} +
tar -C "$stage" --owner=0 --group=0 -c skillgate | docker cp - "$cid:/opt/"
rm -rf "$stage"
docker start -a "$cid" >&2 || { say "cannot write the module bundles"; exit 1; }
# Record Bandit's version as a label: it is a fact of this image's content (bound by the
# image id), and reading it costs skillgate an image inspect instead of a container start.
bandit_version=$(docker cp "$cid:/usr/lib/python3/dist-packages" - | tar -t | sed -nE 's#^dist-packages/bandit-([0-9][^/]*)\.(egg|dist)-info/?$#\1#p' | head -n1)
[ -n "$bandit_version" ] || { say "cannot find Bandit's version in $base"; exit 1; }
docker commit \
  --change 'USER 10001:10001' \
  --change 'WORKDIR /skill' \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change 'ENV PYTHONDONTWRITEBYTECODE=1' \
  --change 'CMD ["python3"]' \
  --change "LABEL org.skillgate.recipe=$tag org.skillgate.base=$base org.skillgate.bandit=$bandit_version" \
  "$cid" "$tag" >/dev/null
say "built $tag (${#helpers[@]} helper(s) on $base)"
