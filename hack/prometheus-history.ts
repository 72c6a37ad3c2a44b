/**
 * Backfills real history for the Prometheus of hack/cluster-up.sh: the NASA 1995 trace shifted to end now, as
 * http_requests_total / http_requests_per_minute of default/web (x1), shop/api (x2) and shop/cart (x3), plus
 * per-pod error ratios of default/web (web-2 the outlier), written with promtool into <dir>/tsdb.
 *
 *   node --import tsx hack/prometheus-history.ts --dir DIR [--days N]
 *
 * Prints one JSON line: {"tsdb": ..., "config": ..., "startMs": ..., "endMs": ...}.
 */
import { mkdirSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { writeHistory } from '../test/helpers/prometheus.js'

const { values } = parseArgs({ options: { dir: { type: 'string' }, days: { type: 'string', default: '2' } } })
const days = Number(values.days)
if (values.dir === undefined || values.dir === '') throw new Error('--dir is required')
if (!Number.isInteger(days) || days < 1 || days > 30) throw new Error(`--days must be an integer in [1, 30], got ${values.days ?? ''}`)
mkdirSync(values.dir, { recursive: true })
const h = await writeHistory({ days, podHours: 24 }, values.dir)
console.log(JSON.stringify({ tsdb: h.tsdb, config: h.config, startMs: h.startMs, endMs: h.endMs }))
