#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image (Ubuntu, with network).
# It installs Node __NODE_VERSION__ (the version the teacher built this zip with, checksum-verified),
# bubblewrap and util-linux for the sandbox and memory limit, then the kit's runtime dependencies.
set -euo pipefail
NODE_VERSION="__NODE_VERSION__"

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
tarball="node-v${NODE_VERSION}-linux-${arch}.tar.xz"
cd /tmp
curl -fsSLO "https://nodejs.org/dist/v${NODE_VERSION}/${tarball}"
curl -fsSLO "https://nodejs.org/dist/v${NODE_VERSION}/SHASUMS256.txt"
grep " ${tarball}\$" SHASUMS256.txt | sha256sum -c -
tar -xJf "${tarball}" -C /usr/local --strip-components=1
rm -f "${tarball}" SHASUMS256.txt

cd /autograder/source
npm ci --omit=dev --no-audit --no-fund
# Fail the image build now, not at the first submission, if the grader cannot load.
node grader/bin.mjs --list
