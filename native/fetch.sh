#!/usr/bin/env bash
# Fetches the pinned llama.cpp source, verifies it and applies native/patches/*.patch.
# Prints the path of the ready tree on the last line of stdout.
#
#   native/fetch.sh                      pinned source (npm package node-llama-cpp, see llama.cpp.pin)
#   LLAVA4J_LLAMA_CPP_DIR=/path fetch.sh your own checkout, copied and patched (never modified)
#
# Everything lands under ${LLAVA4J_CACHE:-~/.cache/llava4j}; a second run costs milliseconds.
set -euo pipefail
# macOS has shasum instead of sha256sum, and no flock(1) (builds there are not serialised).
command -v sha256sum >/dev/null || sha256sum() { shasum -a 256 "$@"; }
command -v flock >/dev/null || flock() { :; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${LLAVA4J_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/llava4j}
mkdir -p "$cache/src" "$cache/dl"

pin() { sed -n "s/^$1=//p" "$here/llama.cpp.pin"; }
NPM_PACKAGE=$(pin NPM_PACKAGE); NPM_VERSION=$(pin NPM_VERSION); NPM_INTEGRITY=$(pin NPM_INTEGRITY)
TARBALL_SHA256=$(pin TARBALL_SHA256); BUNDLE_PATH=$(pin BUNDLE_PATH); BUNDLE_SHA256=$(pin BUNDLE_SHA256)
COMMIT=$(pin LLAMA_CPP_COMMIT)

log() { echo "[llava4j fetch] $*" >&2; }
die() { echo "[llava4j fetch] error: $*" >&2; exit 1; }
sha256() { sha256sum "$1" | cut -d' ' -f1; }

patches=()
while IFS= read -r p; do patches+=("$p"); done < <(find "$here/patches" -maxdepth 1 -name '*.patch' | sort)
patch_key=$( { for p in "${patches[@]}"; do basename "$p"; cat "$p"; done; } | sha256sum | cut -c1-12)

apply_patches() { # $1 = tree; git apply where git is installed, else patch(1)
  for p in "${patches[@]}"; do
    log "applying $(basename "$p")"
    if command -v git >/dev/null; then
      git -C "$1" apply --whitespace=nowarn "$p" || die "patch $(basename "$p") does not apply to $1"
    else
      patch -d "$1" -p1 --forward --quiet < "$p" || die "patch $(basename "$p") does not apply to $1"
    fi
  done
}

exec 9>"$cache/src/.lock"
flock 9

if [[ -n "${LLAVA4J_LLAMA_CPP_DIR:-}" ]]; then
  user=$(cd "$LLAVA4J_LLAMA_CPP_DIR" && pwd) || die "LLAVA4J_LLAMA_CPP_DIR=$LLAVA4J_LLAMA_CPP_DIR does not exist"
  [[ -f "$user/include/llama.h" && -d "$user/tools/mtmd" ]] \
    || die "$user is not a llama.cpp checkout (include/llama.h or tools/mtmd missing)"
  state=$( { echo "$user"; git -C "$user" rev-parse HEAD 2>/dev/null || true; git -C "$user" diff 2>/dev/null || true; } \
    | sha256sum | cut -c1-12)
  dest="$cache/src/custom-$state-$patch_key"
  if [[ ! -f "$dest/.llava4j-ready" ]]; then
    log "copying $user (patches are applied to the copy, your checkout is left as it is)"
    rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
    tar -C "$user" --exclude=./.git --exclude='./build*' -cf - . | tar -C "$dest.tmp" -xf -
    if command -v git >/dev/null; then git -C "$dest.tmp" init -q; fi
    apply_patches "$dest.tmp"
    echo "custom:$user" > "$dest.tmp/.llava4j-ready"
    rm -rf "$dest" && mv "$dest.tmp" "$dest"
  fi
  echo "$dest"
  exit 0
fi

dest="$cache/src/$COMMIT-$patch_key"
if [[ -f "$dest/.llava4j-ready" ]]; then echo "$dest"; exit 0; fi

tarball="$cache/dl/$NPM_PACKAGE-$NPM_VERSION.tgz"
if [[ ! -f "$tarball" || "$(sha256 "$tarball")" != "$TARBALL_SHA256" ]]; then
  command -v npm >/dev/null || die "npm is needed to download $NPM_PACKAGE@$NPM_VERSION (or set LLAVA4J_LLAMA_CPP_DIR)"
  log "downloading $NPM_PACKAGE@$NPM_VERSION through npm"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$NPM_PACKAGE@$NPM_VERSION" >/dev/null) || die "npm pack $NPM_PACKAGE@$NPM_VERSION failed"
  mv "$tmp/$NPM_PACKAGE-$NPM_VERSION.tgz" "$tarball"
  rm -rf "$tmp"
fi
got=$(sha256 "$tarball")
[[ "$got" == "$TARBALL_SHA256" ]] || { rm -f "$tarball"; die "$tarball: sha256 $got, pinned $TARBALL_SHA256"; }
integrity="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
[[ "$integrity" == "$NPM_INTEGRITY" ]] || die "$tarball: integrity $integrity, pinned $NPM_INTEGRITY"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -C "$work" -xzf "$tarball" "$BUNDLE_PATH"
got=$(sha256 "$work/$BUNDLE_PATH")
[[ "$got" == "$BUNDLE_SHA256" ]] || die "$BUNDLE_PATH: sha256 $got, pinned $BUNDLE_SHA256"
log "cloning llama.cpp $COMMIT from the bundle"
rm -rf "$dest.tmp"
git clone -q --no-checkout "$work/$BUNDLE_PATH" "$dest.tmp"
git -C "$dest.tmp" -c advice.detachedHead=false checkout -q "$COMMIT" || die "commit $COMMIT is not in the bundle"
head=$(git -C "$dest.tmp" rev-parse HEAD)
[[ "$head" == "$COMMIT" ]] || die "bundle HEAD is $head, pinned $COMMIT"
apply_patches "$dest.tmp"
echo "$COMMIT" > "$dest.tmp/.llava4j-ready"
rm -rf "$dest" && mv "$dest.tmp" "$dest"
echo "$dest"
