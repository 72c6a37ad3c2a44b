#!/usr/bin/env bash
# Front-proxy PKI for the aggregation layer (what kubeadm calls front-proxy-ca / front-proxy-client).
# kube-apiserver presents front-proxy-client.crt when it proxies to an APIService backend (the Foresight
# adapter); the backend trusts requests carrying X-Remote-* headers only from a client cert signed by
# front-proxy-ca.crt whose CN is in --requestheader-allowed-names.
# A separate CA (not the cluster CA) so that a backend that confuses the two fails in tests, as it would
# on a kubeadm cluster.

FRONT_PROXY_CLIENT_CN="${FRONT_PROXY_CLIENT_CN:-front-proxy-client}"

# make_front_proxy_pki <dir>: writes front-proxy-ca.{crt,key} and front-proxy-client.{crt,key}.
make_front_proxy_pki() {
  local d="$1"
  command -v openssl >/dev/null || die "openssl is required to create the front-proxy certificates"
  mkdir -p "${d}"
  (
    set -e
    umask 077
    cd "${d}"
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
      -keyout front-proxy-ca.key -out front-proxy-ca.crt -subj "/CN=foresight-front-proxy-ca" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -sha256 \
      -keyout front-proxy-client.key -out front-proxy-client.csr -subj "/CN=${FRONT_PROXY_CLIENT_CN}" 2>/dev/null
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' \
      >front-proxy-client.ext
    openssl x509 -req -sha256 -days 365 -in front-proxy-client.csr \
      -CA front-proxy-ca.crt -CAkey front-proxy-ca.key -CAcreateserial \
      -extfile front-proxy-client.ext -out front-proxy-client.crt 2>/dev/null
    rm -f front-proxy-client.csr front-proxy-client.ext front-proxy-ca.srl
    chmod 0644 front-proxy-ca.crt front-proxy-client.crt
    openssl verify -CAfile front-proxy-ca.crt front-proxy-client.crt >/dev/null
  ) || die "could not create the front-proxy PKI in ${d}"
}
