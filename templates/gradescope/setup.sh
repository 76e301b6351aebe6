#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image (Ubuntu, with network).
# It installs the newest release of Node NODE_MAJOR (the current LTS line, checksum-verified),
# bubblewrap and util-linux for the sandbox and memory limit, then the kit's runtime dependencies.
set -euo pipefail
NODE_MAJOR="24"

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends ca-certificates curl xz-utils util-linux >/dev/null
# The sandbox is optional: where the container forbids namespaces, grading runs without it.
apt-get install -y -qq --no-install-recommends bubblewrap >/dev/null || true

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "socklab: unsupported machine $(uname -m)" >&2; exit 1 ;;
esac
# latest-vN.x always holds the newest release of the line, and its SHASUMS256.txt names it.
dist="https://nodejs.org/dist/latest-v${NODE_MAJOR}.x"
cd /tmp
curl -fsSLO "${dist}/SHASUMS256.txt"
tarball="$(grep -oE "node-v${NODE_MAJOR}\.[0-9]+\.[0-9]+-linux-${arch}\.tar\.xz" SHASUMS256.txt | head -n 1)"
[ -n "${tarball}" ] || { echo "socklab: no Node ${NODE_MAJOR} build for linux-${arch} in ${dist}" >&2; exit 1; }
curl -fsSLO "${dist}/${tarball}"
grep " ${tarball}\$" SHASUMS256.txt | sha256sum -c -
tar -xJf "${tarball}" -C /usr/local --strip-components=1
rm -f "${tarball}" SHASUMS256.txt

cd /autograder/source
npm ci --omit=dev --no-audit --no-fund
# Fail the image build now, not at the first submission, if the grader cannot load.
node grader/bin.mjs --list
