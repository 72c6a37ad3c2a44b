import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createSecureContext, type SecureContextOptions, type Server as TlsServer } from 'node:tls'
import type { Logger } from 'pino'

export interface ServingMaterial {
  certPem: string
  keyPem: string
  /** CAs whose client certificates the TLS layer verifies (the request-header CA). */
  clientCAPem?: string
}

class TlsLoadError extends Error {
  override name = 'TlsLoadError'
}

/** Reads and checks a certificate/key pair; a bad pair fails here, not at the first handshake. */
export function readServingFiles(certFile: string, keyFile: string): { certPem: string; keyPem: string } {
  let certPem: string
  let keyPem: string
  try {
    certPem = readFileSync(certFile, 'utf8')
    keyPem = readFileSync(keyFile, 'utf8')
  } catch (err) {
    throw new TlsLoadError(`unable to read serving certificate: ${(err as NodeJS.ErrnoException).code ?? 'read error'}`)
  }
  // Node treats an empty cert or key as absent and builds a context that fails every handshake; a file caught
  // between truncate and write during a rotation looks exactly like this.
  if (certPem.trim() === '') throw new TlsLoadError(`unable to load serving certificate: ${certFile} is empty`)
  if (keyPem.trim() === '') throw new TlsLoadError(`unable to load serving certificate: ${keyFile} is empty`)
  try {
    createSecureContext({ cert: certPem, key: keyPem })
  } catch (err) {
    throw new TlsLoadError(`unable to load serving certificate: ${(err as Error).message}`)
  }
  return { certPem, keyPem }
}

function digestOf(file: string): string {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex')
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? 'unreadable'
  }
}

export function secureContextOptions(m: ServingMaterial): SecureContextOptions {
  return { cert: m.certPem, key: m.keyPem, ...(m.clientCAPem !== undefined ? { ca: m.clientCAPem } : {}), minVersion: 'TLSv1.2' }
}

interface CertReloaderOptions {
  certFile: string
  keyFile: string
  clientCAPem?: string
  intervalMs: number
  log: Logger
}

/**
 * Polls the certificate files (secret volumes swap a symlink, which fs.watch misses) and installs a new
 * secure context when their content changes. Existing connections keep the context they negotiated with;
 * a broken new pair is logged and ignored, so a bad rotation never takes the server down.
 */
export class CertReloader {
  private timer: NodeJS.Timeout | undefined
  private pair: { certPem: string; keyPem: string }
  private clientCAPem: string | undefined
  /** What the last refused pair looked like: the same broken files are reported once, not every interval. */
  private refused: string | undefined

  constructor(private readonly server: TlsServer, private readonly opts: CertReloaderOptions, initial: { certPem: string; keyPem: string }) {
    this.pair = initial
    this.clientCAPem = opts.clientCAPem
  }

  /** Installs a new client CA beside the current serving pair; throws (changing nothing) when it is unusable. */
  setClientCA(clientCAPem: string): void {
    this.server.setSecureContext(secureContextOptions({ ...this.pair, clientCAPem }))
    this.clientCAPem = clientCAPem
  }

  start(): void {
    this.timer = setInterval(() => this.check(), this.opts.intervalMs)
    this.timer.unref()
  }

  /** Returns true when a new certificate was installed. */
  check(): boolean {
    let pair: { certPem: string; keyPem: string }
    try {
      pair = readServingFiles(this.opts.certFile, this.opts.keyFile)
    } catch (err) {
      const why = (err as Error).message
      const seen = `${why}\n${digestOf(this.opts.certFile)}\n${digestOf(this.opts.keyFile)}`
      if (seen !== this.refused) this.opts.log.warn({ err: why }, 'serving certificate changed but is not loadable; keeping the current one')
      this.refused = seen
      return false
    }
    this.refused = undefined
    if (pair.certPem === this.pair.certPem && pair.keyPem === this.pair.keyPem) return false
    this.server.setSecureContext(secureContextOptions({ ...pair, ...(this.clientCAPem !== undefined ? { clientCAPem: this.clientCAPem } : {}) }))
    this.pair = pair
    this.opts.log.info({ certFile: this.opts.certFile }, 'serving certificate reloaded')
    return true
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
  }
}
