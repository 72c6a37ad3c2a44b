import { join } from 'node:path'
import * as grpc from '@grpc/grpc-js'
import { loadSync } from '@grpc/proto-loader'
import type { Logger } from 'pino'
import type { MetricProvider } from '../ports.js'
import { packageRoot } from '../util/paths.js'
import { ServingCertificateProvider, type ServingFiles } from './serving-provider.js'
import { isActive, metricSpecs, metricValues, ScalerError, type ScaledObjectRef } from './scaler.js'

// KEDA's external scaler (assets/proto/externalscaler.proto) over gRPC with TLS, served beside the external
// metrics API from the same engine results, for clusters where KEDA owns v1beta1.external.metrics.k8s.io.

export const PROTO_FILE = (): string => join(packageRoot(), 'assets', 'proto', 'externalscaler.proto')

export interface KedaScalerOptions {
  listen: { host: string; port: number }
  source: MetricProvider
  log: Logger
  serving: { certPem: string; keyPem: string }
  /** Re-read the serving certificate from these files (the adapter's tls.certFile and tls.keyFile). */
  certFiles?: ServingFiles
  /** When set, only clients presenting a certificate signed by this CA are served. */
  clientCAPem?: string
  /** How often an open StreamIsActive re-checks the policy (the engine's refresh interval is enough). */
  streamIntervalMs: number
}

export interface RunningKedaScaler {
  port: number
  address: string
  close(): Promise<void>
}

/**
 * The service from the .proto, as a client constructor (its `.service` is what the server registers). keepCase:
 * the wire names; longs as numbers: replica counts are far below 2^53; defaults: absent fields read as proto3's.
 */
export function externalScalerClient(): grpc.ServiceClientConstructor {
  const pkg = grpc.loadPackageDefinition(loadSync(PROTO_FILE(), { keepCase: true, longs: Number, defaults: true }))
  return (pkg.externalscaler as grpc.GrpcObject).ExternalScaler as grpc.ServiceClientConstructor
}

interface GetMetricsRequest { scaledObjectRef?: ScaledObjectRef; metricName: string }

function asServiceError(err: unknown): Partial<grpc.ServiceError> {
  if (err instanceof ScalerError) return { code: err.code, details: err.message }
  return { code: grpc.status.INTERNAL, details: 'internal error' }
}

/** One unary handler: the answer, or the error as a status; a thrown bug becomes INTERNAL, never a crash. */
function unary<Req, Res>(log: Logger, method: string, answer: (req: Req) => Res): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    try {
      callback(null, answer(call.request))
    } catch (err) {
      if (!(err instanceof ScalerError)) log.error({ err, method }, 'external scaler call failed')
      else log.debug({ method, code: err.code, reason: err.message }, 'external scaler call refused')
      callback(asServiceError(err))
    }
  }
}

function streamIsActive(opts: KedaScalerOptions): grpc.handleServerStreamingCall<ScaledObjectRef, { result: boolean }> {
  return (call) => {
    let last: boolean | undefined
    let timer: NodeJS.Timeout | undefined
    const stop = (): void => {
      if (timer !== undefined) clearInterval(timer)
      timer = undefined
    }
    // KEDA reads the first value at once, then only changes; a policy that has no value yet sends nothing until it
    // has one, and an unknown or invalid one ends the stream with its status (KEDA retries with a backoff).
    const check = (): void => {
      try {
        const active = isActive(opts.source, call.request)
        if (active !== last) {
          last = active
          call.write({ result: active })
        }
      } catch (err) {
        if (err instanceof ScalerError && err.code === grpc.status.UNAVAILABLE) return
        stop()
        // grpc-js ends a server stream with a status when its 'error' event carries one.
        call.emit('error', asServiceError(err))
      }
    }
    opts.log.debug({ namespace: call.request.namespace, scaledObject: call.request.name }, 'StreamIsActive opened')
    call.on('cancelled', stop)
    call.on('close', stop)
    call.on('error', stop)
    timer = setInterval(check, opts.streamIntervalMs)
    check()
  }
}

/** Starts the gRPC server; the port is the bound one (listen.port 0 picks a free port). */
export async function startKedaScaler(opts: KedaScalerOptions): Promise<RunningKedaScaler> {
  const server = new grpc.Server()
  const log = opts.log
  server.addService(externalScalerClient().service, {
    IsActive: unary(log, 'IsActive', (req: ScaledObjectRef) => ({ result: isActive(opts.source, req) })),
    StreamIsActive: streamIsActive(opts),
    GetMetricSpec: unary(log, 'GetMetricSpec', (req: ScaledObjectRef) => ({ metricSpecs: metricSpecs(opts.source, req) })),
    GetMetrics: unary(log, 'GetMetrics', (req: GetMetricsRequest) => ({ metricValues: metricValues(opts.source, req.scaledObjectRef, req.metricName) })),
    // KEDA falls back to GetMetricSpec on UNIMPLEMENTED; the target here is a constant.
    StreamMetricSpec: (call: grpc.ServerWritableStream<ScaledObjectRef, unknown>) => {
      call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'StreamMetricSpec is not implemented: the target is constant, use GetMetricSpec' })
    },
  })
  const certificates = new ServingCertificateProvider(opts.serving, {
    log,
    ...(opts.certFiles !== undefined ? { files: opts.certFiles } : {}),
    ...(opts.clientCAPem !== undefined ? { clientCAPem: opts.clientCAPem } : {}),
  })
  // The one provider answers both roles. grpc-js 1.14 takes the serving (identity) provider first, whatever its
  // typings call the parameters; the second, the client CA's, is null when no client certificate is asked for.
  const requireClient = opts.clientCAPem !== undefined
  const creds = grpc.experimental.createCertificateProviderServerCredentials(certificates, requireClient ? certificates : null, requireClient)
  const host = opts.listen.host.includes(':') ? `[${opts.listen.host}]` : opts.listen.host
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${opts.listen.port}`, creds, (err, bound) => {
      if (err !== null) reject(new Error(`unable to listen on ${host}:${opts.listen.port} (keda.host, keda.port): ${err.message}`))
      else resolve(bound)
    })
  })
  const address = `${host}:${port}`
  log.info({ address, clientCertificates: opts.clientCAPem !== undefined }, 'KEDA external scaler listening')
  return {
    port,
    address,
    async close(): Promise<void> {
      certificates.stop()
      // Open StreamIsActive calls never end on their own: a graceful shutdown would wait for them forever.
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown()
          resolve()
        }, 2_000)
        force.unref()
        server.tryShutdown(() => {
          clearTimeout(force)
          resolve()
        })
      })
    },
  }
}
