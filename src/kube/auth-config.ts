import type { KubeClient } from './rest.js'
import type { RequestHeaderAuthConfig } from '../auth/request-header-source.js'


class AuthConfigError extends Error {
  override name = 'AuthConfigError'
}

/** kube-apiserver publishes its front-proxy settings here for every aggregated API server to read. */
export async function readExtensionApiserverAuthentication(kube: KubeClient, signal?: AbortSignal): Promise<RequestHeaderAuthConfig> {
  let data: Record<string, string>
  try {
    const cm = await kube.request<{ data?: Record<string, string> }>({
      method: 'GET',
      path: '/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication',
      ...(signal !== undefined ? { signal } : {}),
      what: 'read configmap kube-system/extension-apiserver-authentication',
    })
    data = cm.data ?? {}
  } catch (err) {
    throw new AuthConfigError((err as Error).message.split('\n')[0] ?? 'unable to read configmap kube-system/extension-apiserver-authentication')
  }
  return parseExtensionApiserverAuthentication(data)
}

function parseExtensionApiserverAuthentication(data: Readonly<Record<string, string>>): RequestHeaderAuthConfig {
  const ca = data['requestheader-client-ca-file']
  if (ca === undefined || !ca.includes('BEGIN CERTIFICATE')) {
    throw new AuthConfigError('unable to load request-header authentication: requestheader-client-ca-file is missing from kube-system/extension-apiserver-authentication')
  }
  return {
    clientCAPem: ca,
    allowedNames: jsonList(data, 'requestheader-allowed-names', []),
    usernameHeaders: jsonList(data, 'requestheader-username-headers', ['X-Remote-User']),
    groupHeaders: jsonList(data, 'requestheader-group-headers', ['X-Remote-Group']),
    extraHeaderPrefixes: jsonList(data, 'requestheader-extra-headers-prefix', ['X-Remote-Extra-']),
  }
}

function jsonList(data: Readonly<Record<string, string>>, key: string, fallback: string[]): string[] {
  const raw = data[key]
  if (raw === undefined || raw === '') return fallback
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    throw new AuthConfigError(`unable to load request-header authentication: ${key} is not a JSON list`)
  }
  if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === 'string')) {
    throw new AuthConfigError(`unable to load request-header authentication: ${key} is not a list of strings`)
  }
  return parsed.length === 0 && key !== 'requestheader-allowed-names' ? fallback : parsed
}
