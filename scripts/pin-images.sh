#!/usr/bin/env bash
# Pins the base images of Dockerfile.controller and Dockerfile.agent by digest: every `ARG *_IMAGE=NAME:TAG` default
# becomes `NAME:TAG@sha256:DIGEST`, the digest of what the registry serves for that tag now (for a multi-platform
# image, the digest of its index). Run it on a machine that reaches the registries, review the diff, commit it;
# run it again to move to newer base images. A build can still override any of them with --build-arg.
#
#   scripts/pin-images.sh           resolve and rewrite the defaults (needs skopeo, or docker with buildx)
#   scripts/pin-images.sh --list    print the NAME:TAG of every base image, one a line; no network
#   scripts/pin-images.sh --check   exit 1 naming every base image that is not pinned by digest; no network
set -euo pipefail
cd "$(dirname "$0")/.."
dockerfiles=(Dockerfile.controller Dockerfile.agent)
pattern='^ARG [A-Z_]*_IMAGE='

images() { grep -h "$pattern" "${dockerfiles[@]}" | sed 's/^ARG [A-Z_]*_IMAGE=//' | sort -u; }

digest_of() { # NAME:TAG -> sha256:...
  if command -v skopeo >/dev/null; then
    # The raw manifest (an index for multi-platform images); its SHA-256 is the digest a pull by digest asks for.
    echo "sha256:$(skopeo inspect --raw "docker://$1" | sha256sum | cut -d' ' -f1)"
  elif docker buildx version >/dev/null 2>&1; then
    docker buildx imagetools inspect "$1" --format '{{json .Manifest}}' | sed -n 's/.*"digest":"\(sha256:[0-9a-f]\{64\}\)".*/\1/p'
  else
    echo "pin-images.sh: needs skopeo (apt-get install skopeo) or docker with buildx" >&2
    return 1
  fi
}

case "${1:-}" in
  --list)
    images | sed 's/@sha256:.*//'
    exit 0 ;;
  --check)
    unpinned=$(images | grep -v '@sha256:[0-9a-f]\{64\}$' || true)
    if [ -n "$unpinned" ]; then
      echo "pin-images.sh: not pinned by digest (run scripts/pin-images.sh):"
      sed 's/^/  /' <<<"$unpinned"
      exit 1
    fi
    echo "pin-images.sh: every base image is pinned by digest"
    exit 0 ;;
  "") ;;
  *) echo "usage: scripts/pin-images.sh [--list|--check]" >&2; exit 2 ;;
esac

for image in $(images | sed 's/@sha256:.*//' | sort -u); do
  digest=$(digest_of "$image")
  [[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] || { echo "pin-images.sh: no digest for $image" >&2; exit 1; }
  echo "$image@$digest"
  for file in "${dockerfiles[@]}"; do
    sed -i -E "s#^(ARG [A-Z_]*_IMAGE=)${image//./\\.}(@sha256:[0-9a-f]{64})?\$#\\1${image}@${digest}#" "$file"
  done
done
