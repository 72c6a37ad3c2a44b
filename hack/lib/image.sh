#!/usr/bin/env bash
# Shared settings for hack/build-image.sh and hack/check-image.sh (source after common.sh; defines only).

_image_repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
_image_version="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "${_image_repo_dir}/package.json" | head -n1)"
IMAGE="${FORESIGHT_IMAGE:-localhost/foresight:${_image_version:-dev}}"
# The name a stand-in for the Dockerfile's FROM is committed under: with --pull=never buildah resolves the short
# name in FROM to this localhost/ image in local storage.
BASE_IMAGE="localhost/$(sed -n 's/^FROM \([^ ]*\).*/\1/p' "${_image_repo_dir}/Dockerfile" | head -n1)"
STORAGE_DRIVER="${STORAGE_DRIVER:-vfs}"
BUILDAH_ISOLATION="${BUILDAH_ISOLATION:-chroot}"

buildah_() { buildah --storage-driver "${STORAGE_DRIVER}" "$@"; }
# podman sharing buildah's storage; cgroupfs and file events so that it needs neither systemd nor journald.
podman_() { podman --storage-driver "${STORAGE_DRIVER}" --cgroup-manager cgroupfs --events-backend file "$@"; }

image_size() { # human-readable size as buildah reports it
  buildah_ images --format '{{.Size}}' "$1" 2>/dev/null | head -n1
}
