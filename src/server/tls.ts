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

export interface PemPair { certPem: string; keyPem: string }

interface PairWatchOptions {
  certFile: string
  keyFile: string
  intervalMs: number
  log: Logger
  /** Who keeps serving the current pair, for the log lines ("the KEDA scaler"); unset: the server. */
  holder?: string
}

/**
 * Polls a certificate/key pair (secret volumes swap a symlink, which fs.watch misses) and hands a changed, loadable
 * pair to `install`. A broken pair, or one `install` refuses, is logged once per content of the files (not every
 * interval) and ignored: a bad rotation never takes a listener down. The HTTPS and the gRPC listeners both use it.
 */
export class PemPairWatcher {
  private timer: NodeJS.Timeout | undefined
  /** What the last refused pair looked like: the same broken files are reported once. */
  private refused: string | undefined

  constructor(private readonly opts: PairWatchOptions, private current: PemPair, private readonly install: (pair: PemPair) => void) {}

  get pair(): PemPair {
    return this.current
  }

  start(): void {
    if (this.timer !== undefined) return
    this.timer = setInterval(() => this.check(), this.opts.intervalMs)
    this.timer.unref()
  }

  /** Reads the files once; returns true when a new pair was installed. */
  check(): boolean {
    let pair: PemPair
    try {
      pair = readServingFiles(this.opts.certFile, this.opts.keyFile)
      if (pair.certPem === this.current.certPem && pair.keyPem === this.current.keyPem) {
        this.refused = undefined
        return false
      }
      this.install(pair)
    } catch (err) {
      this.refuse((err as Error).message)
      return false
    }
    this.refused = undefined
    this.current = pair
    this.opts.log.info({ certFile: this.opts.certFile, sha256: createHash('sha256').update(pair.certPem).digest('hex').slice(0, 16) }, 'serving certificate reloaded')
    return true
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
  }

  private refuse(why: string): void {
    const seen = `${why}\n${digestOf(this.opts.certFile)}\n${digestOf(this.opts.keyFile)}`
    if (seen !== this.refused) this.opts.log.warn({ err: why }, `serving certificate changed but is not loadable; ${this.opts.holder ?? 'the server'} keeps the current one`)
    this.refused = seen
  }
}

interface CertReloaderOptions {
  certFile: string
  keyFile: string
  clientCAPem?: string
  intervalMs: number
  log: Logger
}

/**
 * The HTTPS listener's rotation: a new pair becomes a new secure context. Existing connections keep the context
 * they negotiated with.
 */
export class CertReloader {
  private readonly watcher: PemPairWatcher
  private clientCAPem: string | undefined

  constructor(private readonly server: TlsServer, opts: CertReloaderOptions, initial: PemPair) {
    this.clientCAPem = opts.clientCAPem
    this.watcher = new PemPairWatcher(opts, initial, (pair) => {
      this.server.setSecureContext(secureContextOptions({ ...pair, ...(this.clientCAPem !== undefined ? { clientCAPem: this.clientCAPem } : {}) }))
    })
  }

  /** Installs a new client CA beside the current serving pair; throws (changing nothing) when it is unusable. */
  setClientCA(clientCAPem: string): void {
    this.server.setSecureContext(secureContextOptions({ ...this.watcher.pair, clientCAPem }))
    this.clientCAPem = clientCAPem
  }

  start(): void {
    this.watcher.start()
  }

  /** Returns true when a new certificate was installed. */
  check(): boolean {
    return this.watcher.check()
  }

  stop(): void {
    this.watcher.stop()
  }
}
