import { createHash } from 'node:crypto'
import type { experimental } from '@grpc/grpc-js'
import type { Logger } from 'pino'
import { readServingFiles } from '../server/tls.js'

// The gRPC listener's certificates, rotated like the HTTPS listener's (server/tls.ts CertReloader): the files are
// polled (secret volumes swap a symlink, which fs.watch misses), a changed and loadable pair is handed to grpc-js,
// which installs it for new connections, and a broken pair is logged once and ignored.

type IdentityListener = experimental.IdentityCertificateUpdateListener
type CaListener = experimental.CaCertificateUpdateListener

export interface ServingFiles { certFile: string; keyFile: string; reloadIntervalMs: number }

export class ServingCertificateProvider implements experimental.CertificateProvider {
  private readonly identity = new Set<IdentityListener>()
  private readonly ca = new Set<CaListener>()
  private pair: { certPem: string; keyPem: string }
  private refused: string | undefined
  private timer: NodeJS.Timeout | undefined

  constructor(initial: { certPem: string; keyPem: string }, private readonly opts: { files?: ServingFiles; clientCAPem?: string; log: Logger }) {
    this.pair = initial
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identity.add(listener)
    // grpc-js expects the current material after registration, not during it.
    process.nextTick(listener, this.update())
    this.startPolling()
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identity.delete(listener)
    if (this.identity.size === 0) this.stop()
  }

  /** The client CA (fixed: keda.clientCAFile is read at start-up). */
  addCaCertificateListener(listener: CaListener): void {
    this.ca.add(listener)
    if (this.opts.clientCAPem !== undefined) process.nextTick(listener, { caCertificate: Buffer.from(this.opts.clientCAPem) })
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.ca.delete(listener)
  }

  /** Reads the files once; returns true when a new pair was handed out. */
  check(): boolean {
    const files = this.opts.files
    if (files === undefined) return false
    let pair: { certPem: string; keyPem: string }
    try {
      pair = readServingFiles(files.certFile, files.keyFile)
    } catch (err) {
      const why = (err as Error).message
      if (why !== this.refused) this.opts.log.warn({ err: why }, 'serving certificate changed but is not loadable; the KEDA scaler keeps the current one')
      this.refused = why
      return false
    }
    this.refused = undefined
    if (pair.certPem === this.pair.certPem && pair.keyPem === this.pair.keyPem) return false
    this.pair = pair
    const update = this.update()
    for (const l of this.identity) l(update)
    this.opts.log.info({ certFile: files.certFile, sha256: createHash('sha256').update(pair.certPem).digest('hex').slice(0, 16) }, 'KEDA scaler serving certificate reloaded')
    return true
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
  }

  private startPolling(): void {
    if (this.timer !== undefined || this.opts.files === undefined) return
    this.timer = setInterval(() => this.check(), this.opts.files.reloadIntervalMs)
    this.timer.unref()
  }

  private update(): experimental.IdentityCertificateUpdate {
    return { certificate: Buffer.from(this.pair.certPem), privateKey: Buffer.from(this.pair.keyPem) }
  }
}
