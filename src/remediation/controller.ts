import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { hostname } from 'node:os'
import type { KubeConfig } from '@kubernetes/client-node'
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify'
import type { Logger } from 'pino'
import { Registry } from 'prom-client'
import { startAlertReceiver, type AlertOutcome, type RunningReceiver } from '../alerts/receiver.js'
import type { RestartRequest } from '../alerts/payload.js'
import { healthRoutes } from '../api/health.js'
import { readServingFiles } from '../auth/tls.js'
import type { ControllerConfig } from '../config/controller.js'
import { loadKubeConfig } from '../kube/client.js'
import { EventRecorder } from '../kube/events.js'
import { LeaderElector } from '../kube/leader.js'
import { InformerPolicySource } from '../policy/informer-source.js'
import { policyKey, type Policy } from '../policy/schema.js'
import type { PolicySource } from '../policy/source.js'
import { kubeStatusClient, type StatusClient } from '../policy/status.js'
import { Evictor } from './evict.js'
import { remediationMetrics } from './metrics.js'
import { kubePodScoreReader, type PodScoreReader } from './pod-scores.js'
import { Remediator, type RoundResult } from './reconcile.js'
import { kubeWorkloadPods, type WorkloadPodLister } from './workload-pods.js'

// `foresight controller`: the remediation loop. Every replica runs it, only the Lease holder acts. Policies come
// from the cluster (informer), pod scores through kube-apiserver from the adapter, and every restart goes
// through decide -> write-ahead record -> eviction.

/** Everything the controller would otherwise build from the config; tests replace parts. */
export interface ControllerDeps {
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
  try {
    kc = deps.kc ?? loadKubeConfig(cfg.kubeconfig)
  } catch (err) {
    throw new Error(`unable to start controller: ${(err as Error).message}`)
  }
  const identity = cfg.leaderElection.identity ?? defaultIdentity()
  const registry = deps.registry ?? new Registry()
  const metrics = remediationMetrics(registry)
  const timeoutMs = cfg.reconcile.requestTimeoutMs
  const policies = deps.policies ?? new InformerPolicySource({ kc, log: log.child({ component: 'policies' }), ...(cfg.policies.namespace !== undefined ? { namespace: cfg.policies.namespace } : {}) })

  // `leading` follows the elector's callbacks (metrics, the first round); whether to act is asked of the elector
  // itself right before each write and eviction, since its answer is bound to the renew deadline by the clock.
  let leading = !cfg.leaderElection.enabled
  /** Set by close(): no round starts, and a round in flight stops before its next policy. */
  let stopped = false
  const isLeader = (): boolean => leading && (elector === undefined || elector.isLeader())
  /** Whether this replica may act now: leading, and not shutting down. */
  const acting = (): boolean => !stopped && isLeader()
  metrics.leader.set(leading ? 1 : 0)
  const remediator = new Remediator({
    log: log.child({ component: 'remediation' }),
    listPods: deps.listPods ?? kubeWorkloadPods(kc, timeoutMs),
    readScores: deps.readScores ?? kubePodScoreReader(kc, { timeoutMs, ...(deps.now !== undefined ? { now: deps.now } : {}) }),
    status: deps.status ?? kubeStatusClient(kc),
    evictor: new Evictor({ kc, timeoutMs, initialBackoffMs: cfg.eviction.initialBackoffMs, maxBackoffMs: cfg.eviction.maxBackoffMs, ...(deps.random !== undefined ? { random: deps.random } : {}), ...(deps.now !== undefined ? { now: deps.now } : {}) }),
    events: new EventRecorder({ kc, log, controller: CONTROLLER_NAME, instance: identity, dedupeWindowMs: cfg.events.dedupeWindowMs, timeoutMs, ...(deps.now !== undefined ? { now: deps.now } : {}) }),
    metrics,
    isLeader,
    leadershipLeftMs: () => elector?.leadershipLeftMs(),
    threshold: cfg.reconcile.outlierThreshold,
    staleAfterMs: cfg.reconcile.staleAfterMs,
    requestTimeoutMs: timeoutMs,
    alertTtlMs: cfg.alerts.signalTtlMs,
    ...(deps.now !== undefined ? { now: deps.now } : {}),
  })

  const roundAll = async (): Promise<RoundResult[]> => {
    const list = policies.list()
    remediator.retain(new Set(list.map(policyKey)))
    const results: RoundResult[] = []
    for (const p of list) {
      // Between policies: a shutdown waits for the policy in flight only, not for the whole round.
      if (!acting()) break
      try {
        results.push(await remediator.reconcile(p))
      } catch (err) {
        metrics.errors.inc({ stage: 'round' })
        log.error({ err, policy: policyKey(p) }, 'remediation round failed')
      }
    }
    return results
  }
  const reconcileNow = (): Promise<RoundResult[]> => remediator.serialize(async () => (acting() ? roundAll() : []))

  let timer: NodeJS.Timeout | undefined
  const loop = (): void => {
    if (stopped) return
    timer = setTimeout(() => {
      reconcileNow().then(loop, (err: unknown) => {
        log.error({ err }, 'remediation loop failed')
        loop()
      })
    }, cfg.reconcile.intervalMs)
    timer.unref()
  }

  const elector = cfg.leaderElection.enabled
    ? new LeaderElector({
        kc,
        namespace: cfg.leaderElection.leaseNamespace,
        name: cfg.leaderElection.leaseName,
        identity,
        leaseDurationSeconds: cfg.leaderElection.leaseDurationSeconds,
        renewDeadlineMs: cfg.leaderElection.renewDeadlineMs,
        retryPeriodMs: cfg.leaderElection.retryPeriodMs,
        log: log.child({ component: 'leader' }),
        onStartedLeading: () => {
          leading = true
          metrics.leader.set(1)
          reconcileNow().catch((err: unknown) => log.error({ err }, 'first round as leader failed'))
        },
        onStoppedLeading: () => {
          // Checked before every write and eviction, so a round in flight stops acting at once.
          leading = false
          metrics.leader.set(0)
        },
      })
    : undefined

  const telemetryLog: FastifyBaseLogger = log.child({ server: 'telemetry' })
  const telemetry = Fastify({ loggerInstance: telemetryLog, logController: new LogController({ disableRequestLogging: true }) })
  await telemetry.register(healthRoutes, { checks: [{ name: 'policies', check: () => ({ ready: policies.ready(), reason: policies.ready() ? 'policies loaded' : 'policies not loaded yet' }) }] })
  telemetry.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()))

  let receiver: RunningReceiver | undefined
  const close = async (): Promise<void> => {
    // No new round from here on, and the round in flight stops after its current policy.
    stopped = true
    clearTimeout(timer)
    // Never win the lease again while shutting down; a leader keeps renewing until its work in flight is done.
    await elector?.stopCampaigning()
    await receiver?.close()
    // Finish the policy in flight (bounded by the call timeouts), then hand the lease over at once.
    await remediator.idle()
    await elector?.stop({ release: true })
    leading = false
    metrics.leader.set(0)
    await policies.close()
    await telemetry.close()
  }

  try {
    await telemetry.listen({ host: cfg.metrics.host, port: cfg.metrics.port })
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
        sink: { requestRestart: (req) => requestRestart(req), withdrawRestart: (req) => withdrawRestart(req) },
      })
    }
  } catch (err) {
    await close().catch(() => undefined)
    throw new Error(`unable to start controller: ${(err as Error).message}`)
  }

  /**
   * The leader withdraws the signal of this one alert, in turn with the rounds (so a restart request queued before
   * it cannot set it again afterwards); another alert still firing for the pod keeps asking. A follower holds no
   * signals: false, and the receiver answers 503 so that Alertmanager retries, hopefully on the leader.
   */
  async function withdrawRestart(req: RestartRequest): Promise<boolean> {
    if (!acting()) return false
    return remediator.serialize(async () => {
      if (!acting()) return false
      remediator.clearAlert(policyKey({ metadata: { namespace: req.namespace, name: req.policy } }), req.pod, alertId(req))
      return true
    })
  }

  async function requestRestart(req: RestartRequest): Promise<AlertOutcome> {
    if (!acting()) return { status: 'not-leader' }
    const policy: Policy | undefined = policies.list().find((p) => p.metadata.namespace === req.namespace && p.metadata.name === req.policy)
    if (policy === undefined) return { status: 'unknown-policy' }
    if (policy.spec.remediation.mode === 'Off') return { status: 'decided', action: 'skip', reason: 'ModeOff', outcome: 'ModeOff' }
    // Alert labels are whatever the rule that raised it wrote: only a policy that opted in lets them ask.
    if (!policy.spec.remediation.acceptAlerts) return { status: 'decided', action: 'skip', reason: 'AlertsNotAccepted', outcome: 'AlertsNotAccepted' }
    const key = policyKey(policy)
    // Raised inside the queued round, so that this round, and not one already running, answers the alert.
    const result = await remediator.serialize(async () => {
      // Queued behind a round that outlived the shutdown or the leadership: this replica no longer acts.
      if (!acting()) return undefined
      remediator.signalAlert(key, req.pod, alertId(req))
      return remediator.reconcile(policy)
    })
    if (result === undefined) return { status: 'not-leader' }
    const d = result.decisions.find((x) => x.pod === req.pod)
    if (d === undefined) {
      remediator.clearAlert(key, req.pod, alertId(req))
      return result.error !== undefined ? { status: 'decided', action: 'skip', reason: result.error, outcome: result.error } : { status: 'unknown-pod' }
    }
    const outcome = result.outcomes.get(req.pod) ?? d.reason
    // A restart refused at the write-ahead step is a skip, whatever decide thought.
    const action = outcome === 'Evicted' || outcome === 'WouldRestart' ? 'restart' : 'skip'
    return { status: 'decided', action, reason: action === 'restart' ? d.reason : outcome, outcome }
  }

  if (elector !== undefined) elector.start()
  else void reconcileNow().catch((err: unknown) => log.error({ err }, 'first round failed'))
  loop()
  const addr = telemetry.server.address() as AddressInfo
  log.info({ identity, leaderElection: cfg.leaderElection.enabled, metrics: `http://${addr.address}:${addr.port}`, alerts: receiver?.url }, 'remediation controller started')
  return {
    metricsUrl: `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`,
    ...(receiver !== undefined ? { alertsUrl: receiver.url } : {}),
    isLeader,
    reconcileNow,
    close,
  }
}

/** One alert's identity: Alertmanager's fingerprint, else its name. */
function alertId(req: RestartRequest): string {
  return req.fingerprint !== '' ? req.fingerprint : req.alertname
}
