#!/usr/bin/env bash
# release.sh builds the CLI's release archives: fastscaler_VERSION_OS_ARCH.tar.gz for linux and darwin on amd64 and
# arm64, each holding one static `fastscaler` binary, and a SHA256SUMS file over them. It builds and writes files
# only; it publishes nothing (upload the directory's files to the release by hand or from CI).
#
#   scripts/release.sh VERSION [OUTDIR]      e.g. scripts/release.sh v1.4.0   (OUTDIR defaults to bin/release)
#
# The binaries are plain `go build` with CGO_ENABLED=0 and -trimpath, the version stamped the way
# `fastscaler version` reads it (-X main.version=VERSION, see cmd/fastscaler). The archives are reproducible: sorted
# entries, owner 0, and every timestamp set to SOURCE_DATE_EPOCH (by default the last commit's time, else 0).
# scripts/release_test.go runs this script into a temporary directory and checks what it wrote (CI: ./test.sh).
set -euo pipefail

usage() {
  echo "usage: scripts/release.sh VERSION [OUTDIR]   (VERSION like v1.4.0: letters, digits, . _ + -)" >&2
  exit 2
}

[ $# -ge 1 ] && [ $# -le 2 ] || usage
version=$1
[[ $version =~ ^[0-9A-Za-z][0-9A-Za-z._+-]*$ ]] || usage
root=$(cd "$(dirname "$0")/.." && pwd)
out=${2:-$root/bin/release}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# The platforms of the release: the operators' laptops (darwin) and Linux hosts, both architectures.
platforms=(linux/amd64 linux/arm64 darwin/amd64 darwin/arm64)

epoch=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || echo 0)}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$@"; else shasum -a 256 "$@"; fi
}

archives=()
for platform in "${platforms[@]}"; do
  os=${platform%/*} arch=${platform#*/}
  name=fastscaler_${version}_${os}_${arch}
  mkdir -p "$stage/$name"
  echo "release.sh: building $name" >&2
  (cd "$root" && CGO_ENABLED=0 GOOS=$os GOARCH=$arch \
    go build -trimpath -ldflags "-s -w -X main.version=$version" -o "$stage/$name/fastscaler" ./cmd/fastscaler)
  touch -h -d "@$epoch" "$stage/$name/fastscaler"
  # GNU tar (Linux CI) writes the entries in a fixed form; other tars (macOS) write the same files without it.
  if tar --version 2>/dev/null | grep -q 'GNU tar'; then
    tar -C "$stage/$name" --sort=name --owner=0 --group=0 --numeric-owner --mode=0755 --mtime="@$epoch" -cf - fastscaler |
      gzip -n -9 >"$out/$name.tar.gz"
  else
    tar -C "$stage/$name" -cf - fastscaler | gzip -n -9 >"$out/$name.tar.gz"
  fi
  archives+=("$name.tar.gz")
done

(cd "$out" && sha256 "${archives[@]}" >SHA256SUMS)
echo "release.sh: wrote ${#archives[@]} archives and SHA256SUMS to $out" >&2
