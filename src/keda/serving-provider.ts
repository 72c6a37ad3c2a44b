import type { experimental } from '@grpc/grpc-js'
import type { Logger } from 'pino'
import { PemPairWatcher, type PemPair } from '../server/tls.js'

// The gRPC listener's certificates, rotated as the HTTPS listener's are (PemPairWatcher): a changed and loadable
// pair is handed to grpc-js, which installs it for new connections.

type IdentityListener = experimental.IdentityCertificateUpdateListener
type CaListener = experimental.CaCertificateUpdateListener

export interface ServingFiles { certFile: string; keyFile: string; reloadIntervalMs: number }

export class ServingCertificateProvider implements experimental.CertificateProvider {
  private readonly identity = new Set<IdentityListener>()
  private readonly ca = new Set<CaListener>()
  private readonly watcher: PemPairWatcher | undefined
  private pair: PemPair

  constructor(initial: PemPair, private readonly opts: { files?: ServingFiles; clientCAPem?: string; log: Logger }) {
    this.pair = initial
    const files = opts.files
    this.watcher = files === undefined ? undefined : new PemPairWatcher(
      { certFile: files.certFile, keyFile: files.keyFile, intervalMs: files.reloadIntervalMs, log: opts.log, holder: 'the KEDA scaler' },
      initial,
      (pair) => {
        this.pair = pair
        const update = this.update()
        for (const l of this.identity) l(update)
      },
    )
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identity.add(listener)
    // grpc-js expects the current material after registration, not during it.
    process.nextTick(listener, this.update())
    this.watcher?.start()
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
    return this.watcher?.check() ?? false
  }

  stop(): void {
    this.watcher?.stop()
  }

  private update(): experimental.IdentityCertificateUpdate {
    return { certificate: Buffer.from(this.pair.certPem), privateKey: Buffer.from(this.pair.keyPem) }
  }
}
