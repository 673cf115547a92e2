#!/usr/bin/env bash
# Builds the skillgate sandbox image without any container registry:
# debootstrap a minimal Debian with python3 + Bandit, add the in-sandbox
# helpers (sandbox/harness), then `docker import` it under the tag given.
# Usage: sandbox/build-image.sh TAG
# The tag is computed by skillgate from the hash of this folder (src/sandbox/imageTag.ts),
# so any change to the recipe yields a new image.
set -euo pipefail
tag=${1:?usage: build-image.sh TAG}
here=$(cd "$(dirname "$0")" && pwd)

# Use the Debian mirror and suite this host already uses, so no address is baked in.
mirror=${SKILLGATE_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -n1 || true)
fi
if [ -z "$mirror" ]; then
  mirror=$(grep -hsE '^deb ' /etc/apt/sources.list | awk '{print $2}' | grep -v security | head -n1 || true)
fi
[ -n "$mirror" ] || { echo "build-image: no Debian mirror found in apt sources; set SKILLGATE_DEBIAN_MIRROR" >&2; exit 1; }
suite=${SKILLGATE_DEBIAN_SUITE:-bookworm}

work=$(mktemp -d "${TMPDIR:-/tmp}/skillgate-rootfs.XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"

echo "build-image: debootstrap $suite from $mirror" >&2
debootstrap --variant=minbase --include=python3-minimal,python3-bandit \
  "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2; exit 1; }

# The unprivileged sandbox user; its home is a tmpfs at run time (decoys live there).
echo 'skill:x:10001:10001:skill:/home/skill:/usr/sbin/nologin' >>"$root/etc/passwd"
echo 'skill:x:10001:' >>"$root/etc/group"
mkdir -p "$root/home/skill" "$root/skill" "$root/skills" "$root/opt/skillgate"
shopt -s nullglob
helpers=("$here"/harness/*.py)
shopt -u nullglob
[ ${#helpers[@]} -eq 0 ] || cp "${helpers[@]}" "$root/opt/skillgate/"
chmod -R a+rX,go-w "$root/opt/skillgate"
# Precompile the helpers and the stdlib so a read-only root starts fast.
chroot "$root" python3 -m compileall -q /opt/skillgate >/dev/null 2>&1 || true

# Trim what a sandbox never needs.
rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* \
  "$root"/usr/share/man/* "$root"/usr/share/locale/* "$root"/var/log/*

tar -C "$root" -c . | docker import \
  --change 'USER 10001:10001' \
  --change 'WORKDIR /skill' \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change 'ENV PYTHONDONTWRITEBYTECODE=1' \
  --change 'LABEL org.skillgate.recipe='"$tag" \
  - "$tag" >/dev/null
echo "build-image: built $tag" >&2
