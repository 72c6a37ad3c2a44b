import { readFile } from 'node:fs/promises'
import { Agent as HttpsAgent, type AgentOptions } from 'node:https'
import type { Agent } from 'node:http'
import type { ClusterAccess } from './kubeconfig.js'

// What each request to the apiserver is sent with: the server, the TLS settings (one keep-alive agent, so the
// reviews on the API's hot path reuse their connection) and the Authorization header, whose token may rotate.

export interface RequestSettings {
  agent?: Agent
  /** TLS options for a connection that brings no agent of its own. */
  tls?: Pick<AgentOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'servername'>
  headers: Record<string, string>
}

export interface Connection {
  /** Base URL; a path prefix (a server behind a proxy) is kept and API paths go beneath it. */
  readonly server: URL
  /** Where the settings come from, for error messages: "kubeconfig /path (context x)", "the pod's service account". */
  readonly origin: string
  settings(): Promise<RequestSettings>
}

/** A projected service-account token is rewritten long before it expires (at 80 % of its life); a minute's reuse is safe. */
const TOKEN_REREAD_MS = 60_000

export interface OwnConnectionOptions {
  now?: () => number
  tokenRereadMs?: number
}

/** The own client's connection: fixed TLS material, and a bearer token that is fixed or re-read from its file. */
export function ownConnection(access: ClusterAccess, origin: string, opts: OwnConnectionOptions = {}): Connection {
  const now = opts.now ?? Date.now
  const rereadMs = opts.tokenRereadMs ?? TOKEN_REREAD_MS
  const agentOptions: AgentOptions = {
    keepAlive: true,
    ...(access.ca !== undefined ? { ca: access.ca } : {}),
    ...(access.clientCert !== undefined ? { cert: access.clientCert, key: access.clientKey } : {}),
    ...(access.insecureSkipTLSVerify === true ? { rejectUnauthorized: false } : {}),
    ...(access.tlsServerName !== undefined ? { servername: access.tlsServerName } : {}),
  }
  const agent = access.server.protocol === 'https:' ? new HttpsAgent(agentOptions) : undefined
  let cached: { token: string; readAt: number } | undefined
  const token = async (): Promise<string | undefined> => {
    if (access.token !== undefined) return access.token
    if (access.tokenFile === undefined) return undefined
    if (cached !== undefined && now() - cached.readAt < rereadMs) return cached.token
    let text: string
    try {
      text = await readFile(access.tokenFile, 'utf8')
    } catch (err) {
      // A rotation replaces the file by a rename: a read that just missed it keeps the last token.
      if (cached !== undefined) return cached.token
      throw new Error(`unable to read the token file ${access.tokenFile}: ${(err as Error).message}`, { cause: err })
    }
    cached = { token: text.trim(), readAt: now() }
    return cached.token
  }
  return {
    server: access.server,
    origin,
    async settings() {
      const t = await token()
      const headers: Record<string, string> = {}
      if (t !== undefined && t !== '') headers.Authorization = `Bearer ${t}`
      return { ...(agent !== undefined ? { agent } : {}), headers }
    },
  }
}
