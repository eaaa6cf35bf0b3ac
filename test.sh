#!/usr/bin/env bash
# test.sh runs every fastscaler test: formatting, vet, unit, fuzz seeds, the end-to-end tests against a real
# nginx, and the Terraform checks. It installs what the tests need (nginx and wrk from Debian's packages) when
# they are missing. Usage: ./test.sh   (extra arguments go to `go test`, e.g. ./test.sh -run TestParse)
set -euo pipefail
cd "$(dirname "$0")"

log() { printf '==> %s\n' "$*" >&2; }

install_debs() {
  local missing=()
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
  command -v wrk >/dev/null 2>&1 || missing+=(wrk)
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]} from Debian's packages"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
    { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
}

install_debs
export PATH="$PATH:/usr/sbin"
export FASTSCALER_REQUIRE_NGINX=1 # a missing nginx fails the tests instead of skipping them

log "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2; echo "$unformatted" >&2; exit 1
fi

log "go vet"
go vet ./...

log "go test"
go test -count=1 -timeout 8m "$@" ./...
