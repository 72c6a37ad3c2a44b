import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { controllerConfigSchema } from './controller-config.js'
import { loadConfig } from './load.js'

const dir = mkdtempSync(join(tmpdir(), 'foresight-controller-config-'))
const f = (n: string): string => { const p = join(dir, n); writeFileSync(p, 'x'); return p }
const cert = f('tls.crt')
const key = f('tls.key')
const token = f('token')

t.test('defaults', async (t) => {
  const cfg = loadConfig(controllerConfigSchema, { env: {} })
  t.same(cfg.leaderElection, { enabled: true, leaseName: 'foresight-controller', leaseNamespace: 'foresight', leaseDurationSeconds: 15, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 })
  t.equal(cfg.reconcile.intervalMs, 15_000)
  t.equal(cfg.reconcile.outlierThreshold, 0.8)
  t.equal(cfg.alerts.enabled, false)
  t.equal(cfg.metrics.port, 9465)
  t.ok(Object.isFrozen(cfg.leaderElection))
})

t.test('environment names', async (t) => {
  const cfg = loadConfig(controllerConfigSchema, { env: { FORESIGHT_LEADER_ELECTION__IDENTITY: 'foresight-controller-7d9', FORESIGHT_RECONCILE__INTERVAL_MS: '5000' } })
  t.equal(cfg.leaderElection.identity, 'foresight-controller-7d9')
  t.equal(cfg.reconcile.intervalMs, 5_000)
})

t.test('invalid combinations', async (t) => {
  const rows: Array<{ name: string; set: string[]; error: RegExp | undefined }> = [
    { name: 'renew deadline not under the lease', set: ['leaderElection.leaseDurationSeconds=10', 'leaderElection.renewDeadlineMs=10000'], error: /leaderElection\.renewDeadlineMs: must be shorter/ },
    { name: 'retry period too long', set: ['leaderElection.retryPeriodMs=9000'], error: /leaderElection\.retryPeriodMs/ },
    { name: 'alerts without TLS', set: ['alerts.enabled=true', `alerts.bearerTokenFile=${token}`], error: /alerts\.certFile: certFile and keyFile are required/ },
    { name: 'alerts without authentication', set: ['alerts.enabled=true', `alerts.certFile=${cert}`, `alerts.keyFile=${key}`], error: /alerts\.bearerTokenFile: .*never runs unauthenticated/ },
    { name: 'alerts with a token', set: ['alerts.enabled=true', `alerts.certFile=${cert}`, `alerts.keyFile=${key}`, `alerts.bearerTokenFile=${token}`], error: undefined },
    { name: 'alerts with mTLS', set: ['alerts.enabled=true', `alerts.certFile=${cert}`, `alerts.keyFile=${key}`, `alerts.clientCAFile=${cert}`], error: undefined },
    { name: 'missing token file', set: ['alerts.bearerTokenFile=/nope/token'], error: /alerts\.bearerTokenFile: file not found/ },
    { name: 'threshold out of range', set: ['reconcile.outlierThreshold=1.5'], error: /reconcile\.outlierThreshold/ },
    { name: 'backoff inverted', set: ['eviction.initialBackoffMs=700000'], error: /eviction\.initialBackoffMs/ },
    { name: 'unknown key', set: ['leaderElection.lease=x'], error: /unknown key/ },
  ]
  for (const r of rows) {
    if (r.error === undefined) t.doesNotThrow(() => loadConfig(controllerConfigSchema, { env: {}, set: r.set }), r.name)
    else t.throws(() => loadConfig(controllerConfigSchema, { env: {}, set: r.set }), r.error, r.name)
  }
})
