/**
 * Backfills real history for the Prometheus of hack/cluster-up.sh: the NASA 1995 trace shifted to end now, as
 * http_requests_total / http_requests_per_minute of default/web (x200: about 70 to 650 requests/s, what the
 * README's example policy with capacityPerReplica 40 scales on), shop/api (x2) and shop/cart (x3), plus per-pod
 * error ratios of default/web (web-2 the outlier), written with promtool into <dir>/tsdb. It also writes
 * <dir>/replay.json, from which hack/replay-exporter.ts continues the same series live; with --exporter the
 * Prometheus config scrapes that exporter (without it, the config has no scrape targets).
 *
 *   node --import tsx hack/prometheus-history.ts --dir DIR [--days N] [--exporter 127.0.0.1:PORT] [--scrape-interval S]
 *
 * Prints one JSON line: {"tsdb": ..., "config": ..., "replay": ..., "startMs": ..., "endMs": ...}.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { stringify } from 'yaml'
import { DEFAULT_PODS, writeHistory, type ServiceSpec } from '../test/helpers/prometheus.js'
import type { ReplayState } from './replay-exporter.js'

const SERVICES: readonly ServiceSpec[] = [
  { namespace: 'default', service: 'web', scale: 200 },
  { namespace: 'shop', service: 'api', scale: 2, days: 1 },
  { namespace: 'shop', service: 'cart', scale: 3, days: 1 },
]

const { values } = parseArgs({ options: { dir: { type: 'string' }, days: { type: 'string', default: '2' }, exporter: { type: 'string' }, 'scrape-interval': { type: 'string', default: '15' } } })
const days = Number(values.days)
const every = Number(values['scrape-interval'])
if (values.dir === undefined || values.dir === '') throw new Error('--dir is required')
if (!Number.isInteger(days) || days < 1 || days > 30) throw new Error(`--days must be an integer in [1, 30], got ${values.days ?? ''}`)
if (values.exporter !== undefined && !/^127\.\d+\.\d+\.\d+:\d+$/.test(values.exporter)) throw new Error(`--exporter must be a loopback address and port (127.0.0.1:PORT), got ${values.exporter}`)
if (!Number.isInteger(every) || every < 1 || every > 60) throw new Error(`--scrape-interval must be an integer in [1, 60] seconds, got ${values['scrape-interval'] ?? ''}`)
mkdirSync(values.dir, { recursive: true })
const h = await writeHistory({ days, podHours: 24, services: SERVICES }, values.dir)

const sum = h.trace.reduce((a, v) => a + v, 0)
const replay: ReplayState = {
  endMs: h.endMs,
  day: h.trace.slice(-1440),
  services: SERVICES.map((s) => ({ namespace: s.namespace, service: s.service, scale: s.scale, total: sum * s.scale })),
  pods: DEFAULT_PODS.map((p) => ({ pod: p.pod, errorRatio: p.errorRatio })),
  podStartMs: h.podStartMs,
}
const replayFile = join(values.dir, 'replay.json')
writeFileSync(replayFile, JSON.stringify(replay))
if (values.exporter !== undefined) {
  writeFileSync(h.config, stringify({
    global: { scrape_interval: `${every}s`, evaluation_interval: `${every}s` },
    scrape_configs: [{
      job_name: 'replay',
      // The exporter's series are the backfilled ones, labels and all: honoured as they are, and without an
      // instance label, they continue the same series instead of starting new ones beside them.
      honor_labels: true,
      static_configs: [{ targets: [values.exporter] }],
      metric_relabel_configs: [{ action: 'labeldrop', regex: 'instance' }],
    }],
  }))
}
console.log(JSON.stringify({ tsdb: h.tsdb, config: h.config, replay: replayFile, startMs: h.startMs, endMs: h.endMs }))
