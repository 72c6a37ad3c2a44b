import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import type { KubeConfig } from '@kubernetes/client-node'
import type { Logger } from 'pino'
import { Registry } from 'prom-client'
import { startAlertReceiver, type RunningReceiver } from '../alerts/receiver.js'
import type { ControllerConfig } from '../config/controller-config.js'
import { loadKubeConfig } from '../kube/client.js'
import { clientNodeConnection } from '../kube/client-node-connection.js'
import { KubeClient } from '../kube/rest.js'
import { EventRecorder } from '../kube/events.js'
import { LeaderElector } from '../kube/leader.js'
import { InformerPolicySource } from '../policy/informer-source.js'
import type { PolicySource } from '../policy/source.js'
import { kubeStatusClient, type StatusClient } from '../policy/status.js'
import { Evictor } from '../remediation/evict.js'
import { remediationMetrics } from '../remediation/metrics.js'
import { kubePodScoreReader, type PodScoreReader } from '../remediation/pod-scores.js'
import { RemediationLoop } from '../remediation/remediation-loop.js'
import { Remediator, type RoundResult } from '../remediation/reconcile.js'
import { startTelemetryServer, type RunningServer } from '../server/https.js'
import { kubeWorkloadPods, type WorkloadPodLister } from '../remediation/workload-pods.js'
import { readServingFiles } from '../server/tls.js'

// `foresight controller`: the remediation loop (remediation/remediation-loop.ts) with what it reads and writes through.
// Policies come from the cluster (informer), pod scores through kube-apiserver from the adapter, and every
// restart goes through decide -> write-ahead record -> eviction.

/** Everything the controller would otherwise build from the config; tests replace parts. */
interface ControllerDeps {
  kc?: KubeConfig
  policies?: PolicySource
  /** Reads must bring the policy's spec along with its status (the status subresource's GET does). */
  status?: StatusClient
  readScores?: PodScoreReader
  listPods?: WorkloadPodLister
  registry?: Registry
  now?: () => number
  random?: () => number
}

export interface RunningController {
  metricsUrl: string
  alertsUrl?: string
  isLeader(): boolean
  /** One round over every policy, after the rounds already queued (tests, and the first round after election). */
  reconcileNow(): Promise<RoundResult[]>
  close(): Promise<void>
}

const CONTROLLER_NAME = 'foresight.dev/remediation-controller'

function defaultIdentity(): string {
  // client-go's convention: host name plus a random suffix, so a restarted pod is a new candidate.
  return `${hostname()}_${randomBytes(4).toString('hex')}`
}

export async function startController(cfg: ControllerConfig, log: Logger, deps: ControllerDeps = {}): Promise<RunningController> {
  let kc: KubeConfig
  let kube: KubeClient
  try {
    kc = deps.kc ?? loadKubeConfig(cfg.kubeconfig)
    // The policy informer, status writes and Events share the adapter's client, with client-node's credentials.
    kube = new KubeClient(clientNodeConnection(kc))
  } catch (err) {
    throw new Error(`unable to start controller: ${(err as Error).message}`, { cause: err })
  }
  const identity = cfg.leaderElection.identity ?? defaultIdentity()
  const registry = deps.registry ?? new Registry()
  const metrics = remediationMetrics(registry)
  const timeoutMs = cfg.reconcile.requestTimeoutMs
  const now = deps.now !== undefined ? { now: deps.now } : {}
  const policies = deps.policies ?? new InformerPolicySource({ kube, log: log.child({ component: 'policies' }), ...(cfg.policies.namespace !== undefined ? { namespace: cfg.policies.namespace } : {}) })

  // The loop and the remediator ask each other (who leads; what to reconcile): the closures resolve after both exist.
  const remediator: Remediator = new Remediator({
    log: log.child({ component: 'remediation' }),
    listPods: deps.listPods ?? kubeWorkloadPods(kc, timeoutMs),
    readScores: deps.readScores ?? kubePodScoreReader(kc, { timeoutMs, ...now }),
    status: deps.status ?? kubeStatusClient(kube),
    evictor: new Evictor({ kc, timeoutMs, initialBackoffMs: cfg.eviction.initialBackoffMs, maxBackoffMs: cfg.eviction.maxBackoffMs, ...(deps.random !== undefined ? { random: deps.random } : {}), ...now }),
    events: new EventRecorder({ kube, log, controller: CONTROLLER_NAME, instance: identity, dedupeWindowMs: cfg.events.dedupeWindowMs, timeoutMs, ...now }),
    metrics,
    isLeader: () => loop.isLeader(),
    leadershipLeftMs: () => loop.leadershipLeftMs(),
    threshold: cfg.reconcile.outlierThreshold,
    staleAfterMs: cfg.reconcile.staleAfterMs,
    requestTimeoutMs: timeoutMs,
    alertTtlMs: cfg.alerts.signalTtlMs,
    ...now,
  })
  const loop = new RemediationLoop({ log, policies, remediator, metrics, intervalMs: cfg.reconcile.intervalMs, waitingIntervalMs: cfg.reconcile.waitingIntervalMs })
  if (cfg.leaderElection.enabled) {
    loop.electWith(new LeaderElector({
      kc,
      namespace: cfg.leaderElection.leaseNamespace,
      name: cfg.leaderElection.leaseName,
      identity,
      leaseDurationSeconds: cfg.leaderElection.leaseDurationSeconds,
      renewDeadlineMs: cfg.leaderElection.renewDeadlineMs,
      retryPeriodMs: cfg.leaderElection.retryPeriodMs,
      log: log.child({ component: 'leader' }),
      onStartedLeading: () => loop.startedLeading(),
      onStoppedLeading: () => loop.stoppedLeading(),
    }))
  }

  let telemetry: RunningServer | undefined
  let receiver: RunningReceiver | undefined
  const close = async (): Promise<void> => {
    await loop.stop(async () => { await receiver?.close() })
    await policies.close()
    await telemetry?.close()
  }

  try {
    telemetry = await startTelemetryServer({
      name: 'controller',
      log: log.child({ server: 'telemetry' }),
      listen: cfg.metrics,
      listenSettings: 'metrics.host, metrics.port',
      registry,
      checks: [{ name: 'policies', check: () => ({ ready: policies.ready(), reason: policies.ready() ? 'policies loaded' : 'policies not loaded yet' }) }],
    })
    await policies.start()
    if (cfg.alerts.enabled && cfg.alerts.certFile !== undefined && cfg.alerts.keyFile !== undefined) {
      receiver = await startAlertReceiver({
        host: cfg.alerts.host,
        port: cfg.alerts.port,
        ...readServingFiles(cfg.alerts.certFile, cfg.alerts.keyFile),
        ...(cfg.alerts.bearerTokenFile !== undefined ? { bearerTokenFile: cfg.alerts.bearerTokenFile } : {}),
        ...(cfg.alerts.clientCAFile !== undefined ? { clientCAPem: readFileSync(cfg.alerts.clientCAFile, 'utf8'), clientNames: cfg.alerts.clientNames } : {}),
        certFiles: { certFile: cfg.alerts.certFile, keyFile: cfg.alerts.keyFile, reloadIntervalMs: cfg.alerts.reloadIntervalMs },
        log,
        sink: loop,
      })
    }
  } catch (err) {
    await close().catch(() => undefined)
    throw new Error(`unable to start controller: ${(err as Error).message.replace(/^unable to start controller: /, '')}`, { cause: err })
  }

  loop.start()
  log.info({ identity, leaderElection: cfg.leaderElection.enabled, metrics: telemetry.url, alerts: receiver?.url }, 'remediation controller started')
  return {
    metricsUrl: telemetry.url,
    ...(receiver !== undefined ? { alertsUrl: receiver.url } : {}),
    isLeader: () => loop.isLeader(),
    reconcileNow: () => loop.reconcileNow(),
    close,
  }
}
