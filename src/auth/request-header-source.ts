import type { Logger } from 'pino'
import { settle } from '../util/settle.js'
import { parseCABundle } from './client-chain.js'
import type { RequestHeaderOptions } from './request-header.js'

/** The settings as read, with the CA bundle parsed for the per-request chain check. */
/** The front proxy's settings as kube-apiserver publishes them (or as files give them). */
export interface RequestHeaderAuthConfig {
  clientCAPem: string
  allowedNames: string[]
  usernameHeaders: string[]
  groupHeaders: string[]
  extraHeaderPrefixes: string[]
}

export type RequestHeaderSettings = RequestHeaderAuthConfig & RequestHeaderOptions

/** Parses the CA bundle; throws (CABundleError) when it is not a bundle of CA certificates. */
export function withParsedCA(config: RequestHeaderAuthConfig): RequestHeaderSettings {
  return { ...config, clientCAs: parseCABundle(config.clientCAPem) }
}

interface RequestHeaderSourceOptions {
  /** Reads the settings afresh: the kube-system ConfigMap, or the configured CA file. */
  read: () => Promise<RequestHeaderAuthConfig>
  intervalMs: number
  /** A read that has not answered by then counts as failed, so a hung call never stops the reloading. */
  readTimeoutMs: number
  log: Logger
}

/**
 * The front proxy's CA and header settings, re-read while serving: kube-apiserver rewrites
 * kube-system/extension-apiserver-authentication when its front-proxy CA rotates, and an aggregated API server
 * that kept the old one would refuse every proxied request until restarted. A new CA is installed in TLS first
 * and the header settings follow only if that worked, so a bad update leaves the old settings whole.
 */
export class RequestHeaderSource {
  #current: RequestHeaderSettings
  #timer: NodeJS.Timeout | undefined
  #checking = false
  #installClientCA: ((pem: string) => void) | undefined

  constructor(private readonly opts: RequestHeaderSourceOptions, initial: RequestHeaderSettings) {
    this.#current = initial
  }

  current(): RequestHeaderSettings {
    return this.#current
  }

  /** `installClientCA` puts a new CA into the TLS server; it throws, changing nothing, when the CA is unusable. */
  start(installClientCA: (pem: string) => void): void {
    this.#installClientCA = installClientCA
    this.#timer = setInterval(() => void this.check(), this.opts.intervalMs)
    this.#timer.unref()
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
  }

  /** Returns true when new settings were installed. Never throws. */
  async check(): Promise<boolean> {
    if (this.#checking) return false
    this.#checking = true
    try {
      const read = await settle(this.opts.read, this.opts.readTimeoutMs)
      let next: RequestHeaderSettings
      try {
        if (!read.ok) throw new Error(read.reason)
        next = withParsedCA(read.value)
      } catch (err) {
        this.opts.log.warn({ err: (err as Error).message }, 'unable to re-read request-header authentication; keeping the current settings')
        return false
      }
      if (settingsKey(next) === settingsKey(this.#current)) return false
      if (next.clientCAPem !== this.#current.clientCAPem) {
        try {
          if (this.#installClientCA === undefined) throw new Error('no TLS server to install it in')
          this.#installClientCA(next.clientCAPem)
        } catch (err) {
          this.opts.log.warn({ err: (err as Error).message }, 'new request-header CA is not loadable; keeping the current settings')
          return false
        }
      }
      this.#current = next
      this.opts.log.info({ allowedNames: next.allowedNames }, 'request-header authentication reloaded')
      return true
    } finally {
      this.#checking = false
    }
  }
}

function settingsKey(c: RequestHeaderAuthConfig): string {
  return JSON.stringify([c.clientCAPem, c.allowedNames, c.usernameHeaders, c.groupHeaders, c.extraHeaderPrefixes])
}
