import { join } from 'node:path'
import t from 'tap'
import { binomial, normal, poisson, uniform } from './rng.js'
import { FAULT_FAMILIES, injectFault, PLAN, scenarios, SIZES, type PodFault, type Scenario } from './scenarios.js'
import { loadShape, readTracesFrom } from './traces.js'
import { packageRoot } from '../../../src/util/paths.js'
import { MINUTE_MS, World } from './world.js'

// The first days of each trace, committed with the tests: the full data sets are not needed here.
readTracesFrom(join(packageRoot(), 'test', 'fixtures', 'remediation-traces'))

t.test('keyed draws: the same keys give the same value, other keys another', async (t) => {
  t.equal(uniform(1, 2, 3), uniform(1, 2, 3))
  t.not(uniform(1, 2, 3), uniform(1, 3, 2), 'order matters')
  t.not(uniform(1, 2, 3), uniform(2, 2, 3), 'seed matters')
  t.not(uniform(1, 2 ** 33), uniform(1, 2 ** 33 + 1), 'keys above 32 bits still differ')
  let sum = 0
  let sq = 0
  let lo = 1
  let hi = 0
  const n = 20_000
  for (let i = 0; i < n; i++) {
    const u = uniform(7, i)
    lo = Math.min(lo, u)
    hi = Math.max(hi, u)
    const z = normal(7, i)
    sum += z
    sq += z * z
  }
  t.ok(lo >= 0 && hi < 1)
  t.ok(Math.abs(sum / n) < 0.03, 'normal: mean 0')
  t.ok(Math.abs(sq / n - 1) < 0.05, 'normal: variance 1')
  for (const mean of [0.3, 5, 200]) {
    let s = 0
    for (let i = 0; i < 5000; i++) s += poisson(mean, 3, i)
    t.ok(Math.abs(s / 5000 - mean) < 0.05 * mean + 0.03, `poisson mean ${mean}`)
  }
  for (const [n2, p] of [[100, 0.01], [30, 0.5], [1000, 0.3], [10, 1]] as Array<[number, number]>) {
    let s = 0
    for (let i = 0; i < 5000; i++) {
      const k = binomial(n2, p, 4, i)
      if (k < 0 || k > n2) t.fail(`binomial ${n2} x ${p}: ${k} out of range`)
      s += k
    }
    t.ok(Math.abs(s / 5000 - n2 * p) < 0.05 * n2 * p + 0.05, `binomial ${n2} x ${p}`)
  }
})

t.test('the catalogue: every family at every size on every segment and seed, reproducible, tuning apart from reporting', async (t) => {
  const rep = scenarios('reporting')
  t.same(JSON.parse(JSON.stringify(scenarios('reporting'))), JSON.parse(JSON.stringify(rep)), 'same scenarios on every call')
  const tun = scenarios('tuning')
  t.equal(rep.filter((s) => s.family !== 'fault-free').length, FAULT_FAMILIES.length * SIZES.length * PLAN.reporting.seeds.length * PLAN.reporting.faultSegments.length)
  t.equal(rep.filter((s) => s.family === 'fault-free').length, SIZES.length * PLAN.reporting.quietSegments.length)
  const seeds = (xs: Scenario[]): Set<number> => new Set(xs.map((s) => s.seed))
  t.equal([...seeds(rep)].filter((x) => seeds(tun).has(x)).length, 0, 'no seed in both parts')
  // No trace day in both parts: tuning is NASA's first week only.
  for (const s of rep.filter((x) => x.segment.trace === 'nasa')) if (s.segment.fromDay < 7) t.fail(`${s.name} overlaps the tuning week`)
  for (const s of tun) if (s.segment.trace !== 'nasa' || s.segment.fromDay + s.segment.days > 7) t.fail(`${s.name} outside the tuning week`)
  for (const s of rep) {
    const faults = s.events.filter((e) => e.kind === 'pod-fault' && e.truth !== 'transient') as PodFault[]
    const outages = s.events.filter((e) => e.kind === 'outage')
    const bad = s.events.filter((e) => e.kind === 'rollout' && e.errorRatio > 0)
    if (s.family === 'fault-free') {
      if (faults.length + outages.length + bad.length !== 0) t.fail(`${s.name} has a fault`)
      continue
    }
    const injected = faults.length + outages.length + bad.length
    if (injected !== 1) t.fail(`${s.name}: ${injected} faults`)
    for (const f of faults) if (f.atMs < 60 * MINUTE_MS || f.atMs > 180 * MINUTE_MS) t.fail(`${s.name}: fault at ${f.atMs}`)
  }
  t.ok(rep.some((s) => s.events.some((e) => e.kind === 'pod-fault' && e.truth === 'transient')), 'noisy neighbours in the background')
  t.ok(rep.filter((s) => s.family === 'fault-free').every((s) => s.events.filter((e) => e.kind === 'rollout').length >= 2 * 7), 'two deploys a day over the fault-free weeks')
})

t.test('faults: a bad node holds under half the pods, distinct ones; a bad rollout is rolled back', async (t) => {
  for (const pods of SIZES) {
    for (let seed = 0; seed < 20; seed++) {
      const [f] = injectFault('bad-node', seed, pods, 0, 1) as PodFault[]
      if (f === undefined) continue
      if (!(f.targets.length / pods < 0.5 || pods < 2)) t.fail(`${pods} pods: ${f.targets.length} on the bad node`)
      if (new Set(f.targets).size !== f.targets.length) t.fail('repeated target')
      if (f.targets.some((i) => i < 0 || i >= pods)) t.fail('target out of range')
    }
  }
  const r = injectFault('bad-rollout', 5, 10, 1000, 1)
  t.equal(r.length, 2)
  t.ok(r[0]?.kind === 'rollout' && r[0].errorRatio > 0 && r[1]?.kind === 'rollout' && r[1].errorRatio === 0 && r[1].atMs > r[0].atMs)
})

t.test('load shapes: real traces on a minute grid, mean 1', async (t) => {
  for (const trace of ['nasa', 'elb', 'taxi'] as const) {
    const s = loadShape({ trace, fromDay: 1, days: 2 })
    t.equal(s.length, 2 * 1440)
    const mean = s.reduce((a, b) => a + b, 0) / s.length
    t.ok(Math.abs(mean - 1) < 1e-9, `${trace}: mean 1`)
    t.ok(s.every((v) => Number.isFinite(v) && v >= 0), `${trace}: no gaps`)
    t.ok(Math.max(...s) > 1.3 && Math.min(...s) < 0.8, `${trace}: it has a shape`)
  }
})

/** A small scenario written by hand. */
function scenario(over: Partial<Scenario>): Scenario {
  return {
    name: 'test', family: 'error-abrupt', part: 'tuning', seed: 9, segment: { trace: 'nasa', fromDay: 2, days: 0.25 }, pods: 5, durationMs: 6 * 3_600_000,
    ratePerPod: 20, baseErrorRatio: 0.002, baseLatencySeconds: 0.1, events: [], ...over,
  }
}

t.test('the world: requests follow the trace, errors follow the fault, a restart cures it', async (t) => {
  const fault: PodFault = { kind: 'pod-fault', id: 1, label: 'x', targets: [2], atMs: 30 * MINUTE_MS, rampMs: 0, errorRatio: 0.3, latencyFactor: 1, saturation: 0, cure: 'restart', truth: 'sick' }
  const s = scenario({ events: [fault] })
  const w = new World(s, 0)
  const shape = loadShape(s.segment)
  for (let t2 = 0; t2 <= 29 * MINUTE_MS; t2 += 5000) w.advanceTo(t2)
  // Every pod answers, and together they serve what the trace offered in the last minute.
  t.equal(w.at('latency', 29 * MINUTE_MS).size, 5, 'five pods answer')
  const served = w.pods.reduce((a, p) => a + (w.podState(p.name)?.requestsPerSecond ?? 0) * 60, 0)
  const offered = (shape[28] ?? 0) * s.ratePerPod * s.pods * 60
  t.ok(Math.abs(served - offered) / offered < 0.05, `last minute served ${served.toFixed(0)} of ${offered.toFixed(0)}`)
  // The requests signal: each pod's requests over the 2-minute window its error ratio is computed over.
  const requests = w.at('requests', 29 * MINUTE_MS)
  const twoMinutes = (shape[27] ?? 0) * s.ratePerPod * s.pods * 60 + offered
  const counted = [...requests.values()].reduce((a, v) => a + v, 0)
  t.equal(requests.size, 5)
  t.ok(Math.abs(counted - twoMinutes) / twoMinutes < 0.05, `requests over two minutes ${counted} of ${twoMinutes.toFixed(0)} offered`)

  for (let t2 = 30 * MINUTE_MS; t2 <= 40 * MINUTE_MS; t2 += 5000) w.advanceTo(t2)
  const sickName = w.carriers[0]?.pod ?? ''
  const er = w.at('errorRatio', 40 * MINUTE_MS)
  const others = [...er].filter(([p]) => p !== sickName).map(([, v]) => v)
  t.ok((er.get(sickName) ?? 0) > 0.2, `the sick pod fails ${(er.get(sickName) ?? 0).toFixed(3)}`)
  t.ok(Math.max(...others) < 0.02, 'its siblings do not')

  const replacement = w.evict(sickName)
  const listed = w.listed()
  t.ok(listed.find((p) => p.name === sickName)?.deletionTimestamp !== undefined, 'the evicted pod is listed as terminating')
  t.equal(listed.find((p) => p.name === replacement?.name)?.ready, false, 'its replacement is not ready yet')
  t.equal(w.unavailableByAction(), 1)
  for (let t2 = 40 * MINUTE_MS; t2 <= 45 * MINUTE_MS; t2 += 5000) w.advanceTo(t2)
  t.notOk(w.pods.some((p) => p.name === sickName), 'gone after its grace period')
  t.equal(w.unavailableByAction(), 0)
  t.ok((w.at('errorRatio', 45 * MINUTE_MS).get(replacement?.name ?? '') ?? 1) < 0.05, 'the replacement is healthy')
})

t.test('the world: a dependency outage fails every pod; a rollout replaces every pod within maxUnavailable', async (t) => {
  const s = scenario({
    pods: 8,
    events: [
      { kind: 'outage', id: 1, atMs: 20 * MINUTE_MS, endMs: 30 * MINUTE_MS, errorRatio: 0.5, latencyFactor: 2 },
      { kind: 'rollout', id: 2, atMs: 60 * MINUTE_MS, errorRatio: 0, maxSurge: 2, maxUnavailable: 1, minReadyMs: 0 },
    ],
  })
  const w = new World(s, 0)
  const before = new Set(w.pods.map((p) => p.name))
  let minAvailable = Infinity
  for (let t2 = 0; t2 <= 90 * MINUTE_MS; t2 += 5000) {
    w.advanceTo(t2)
    if (t2 === 26 * MINUTE_MS) {
      const er = [...w.at('errorRatio', t2).values()]
      t.equal(er.length, 8)
      t.ok(er.every((v) => v > 0.35), 'every pod fails during the outage')
    }
    if (t2 >= 60 * MINUTE_MS) minAvailable = Math.min(minAvailable, w.listed().filter((p) => p.ready && p.deletionTimestamp === undefined).length)
  }
  t.ok(w.live().every((p) => !before.has(p.name)), 'every pod replaced')
  t.equal(w.live().length, 8)
  t.ok(minAvailable >= 7, `never fewer than 7 of 8 ready (${minAvailable})`)
})
