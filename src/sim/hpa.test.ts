import t, { type Test } from 'tap'
import { defaultHpaSpec, EMPTY_HPA_STATE, externalAverageValueReplicas, hpaSync, type ExternalAverageValueMetric, type HpaSpec, type HpaState } from './hpa.js'

// Expected counts are worked out by hand from pkg/controller/podautoscaler (replica_calculator.go, horizontal.go).

const m = (value: number, averageValue = 1): ExternalAverageValueMetric => ({ value, averageValue })

t.test('AverageValue proposal: usage ratio against current replicas, tolerance 0.1', async (t) => {
  const cases: Array<[string, number, number, number, number]> = [
    // name, value, averageValue, current, expected
    ['5% above: within tolerance', 10.5, 1, 10, 10],
    ['9% above: within tolerance', 10.9, 1, 10, 10],
    ['exactly 10% above: float64 1-1.1 is just over 0.1, so the controller scales', 11, 1, 10, 11],
    ['10.5% below: out of tolerance, ceil(8.95)', 8.95, 1, 10, 9],
    ['rate over capacity: ceil(2.5 / 0.25)', 2.5, 0.25, 4, 10],
    ['milli-units keep ceil(0.3 / 0.1) at 3', 0.3, 0.1, 1, 3],
    ['zero load proposes zero', 0, 1, 5, 0],
  ]
  for (const [name, value, avg, current, expected] of cases) t.equal(externalAverageValueReplicas(m(value, avg), current, 0.1), expected, name)
})

interface Step { atSeconds: number; metrics: Array<ExternalAverageValueMetric | undefined> | undefined; expect: number; reason?: string }

/** Runs syncs in order, feeding each decision back as the current replicas. */
function run(spec: HpaSpec, startReplicas: number, steps: Step[]): Array<{ got: number; reason: string }> {
  let state: HpaState = EMPTY_HPA_STATE
  let current = startReplicas
  return steps.map((s) => {
    const d = hpaSync(spec, state, s.atSeconds * 1000, current, s.metrics)
    state = d.state
    current = d.desiredReplicas
    return { got: d.desiredReplicas, reason: d.reason }
  })
}

function check(t: Test, name: string, spec: HpaSpec, start: number, steps: Step[]): void {
  const out = run(spec, start, steps)
  steps.forEach((s, i) => {
    t.equal(out[i]?.got, s.expect, `${name}: t=${s.atSeconds}s -> ${s.expect}`)
    if (s.reason !== undefined) t.equal(out[i]?.reason, s.reason, `${name}: t=${s.atSeconds}s reason`)
  })
}

t.test('default scale-up: max(+100%, +4 pods) per 15 s', async (t) => {
  const spec = defaultHpaSpec(1, 100)
  check(t, 'from 2 to 20', spec, 2, [
    { atSeconds: 0, metrics: [m(20)], expect: 6, reason: 'RateLimited' }, // max(2*2, 2+4)
    { atSeconds: 15, metrics: [m(20)], expect: 12, reason: 'RateLimited' }, // the event 15 s ago is outside the period (strictly after)
    { atSeconds: 30, metrics: [m(20)], expect: 20, reason: 'Desired' },
  ])
  check(t, 'a second sync inside the period counts the first change', spec, 2, [
    { atSeconds: 0, metrics: [m(20)], expect: 6 },
    { atSeconds: 5, metrics: [m(20)], expect: 6, reason: 'RateLimited' }, // period start 6-4=2: limit 6
  ])
  check(t, 'percent wins from 10', spec, 10, [{ atSeconds: 0, metrics: [m(50)], expect: 20 }])
})

t.test('selectPolicy Min picks the smaller allowed change', async (t) => {
  const spec: HpaSpec = { ...defaultHpaSpec(1, 100), scaleUp: { ...defaultHpaSpec(1, 100).scaleUp, selectPolicy: 'Min' } }
  check(t, 'min of +100% and +4', spec, 10, [{ atSeconds: 0, metrics: [m(50)], expect: 14, reason: 'RateLimited' }])
  const disabled: HpaSpec = { ...spec, scaleUp: { ...spec.scaleUp, selectPolicy: 'Disabled' } }
  check(t, 'disabled', disabled, 10, [{ atSeconds: 0, metrics: [m(50)], expect: 10 }])
})

t.test('default scale-down: the max recommendation of the last 300 s', async (t) => {
  const spec = defaultHpaSpec(1, 100)
  const steps: Step[] = [{ atSeconds: 0, metrics: [m(10)], expect: 10, reason: 'WithinTolerance' }]
  for (let s = 15; s < 300; s += 15) steps.push({ atSeconds: s, metrics: [m(4)], expect: 10, reason: 'Stabilized' })
  // At 300 s the recommendation made at 0 s is no longer strictly after the cutoff.
  steps.push({ atSeconds: 300, metrics: [m(4)], expect: 4, reason: 'Desired' })
  check(t, '10 then 4', spec, 10, steps)
  check(t, 'a dip shorter than the window is ignored', spec, 10, [
    { atSeconds: 0, metrics: [m(10)], expect: 10 },
    { atSeconds: 15, metrics: [m(2)], expect: 10 },
    { atSeconds: 30, metrics: [m(10)], expect: 10 },
    { atSeconds: 315, metrics: [m(2)], expect: 10, reason: 'Stabilized' }, // the 10 proposed at 30 s is inside the window
    { atSeconds: 330, metrics: [m(2)], expect: 2, reason: 'Desired' }, // only 315 s's 2 is left
  ])
})

t.test('scale-down rate limit: one pod per minute', async (t) => {
  const spec: HpaSpec = { ...defaultHpaSpec(1, 100), scaleDown: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } }
  check(t, '10 towards 4', spec, 10, [
    { atSeconds: 0, metrics: [m(4)], expect: 9, reason: 'RateLimited' },
    { atSeconds: 15, metrics: [m(4)], expect: 9, reason: 'RateLimited' }, // period start 9+1=10: limit 9
    { atSeconds: 45, metrics: [m(4)], expect: 9 },
    { atSeconds: 60, metrics: [m(4)], expect: 8 }, // the change at 0 s has left the period
  ])
  const percent: HpaSpec = { ...spec, scaleDown: { ...spec.scaleDown, policies: [{ type: 'Percent', value: 10, periodSeconds: 60 }] } }
  check(t, '10% of 15 truncates to 13', percent, 15, [{ atSeconds: 0, metrics: [m(1)], expect: 13 }])
})

t.test('scale-up stabilization: the min recommendation of its window', async (t) => {
  const spec: HpaSpec = { ...defaultHpaSpec(1, 100), scaleUp: { ...defaultHpaSpec(1, 100).scaleUp, stabilizationWindowSeconds: 60 } }
  check(t, 'a spike must persist', spec, 4, [
    { atSeconds: 0, metrics: [m(4)], expect: 4 },
    { atSeconds: 15, metrics: [m(10)], expect: 4, reason: 'Stabilized' },
    { atSeconds: 45, metrics: [m(10)], expect: 4 },
    { atSeconds: 60, metrics: [m(10)], expect: 8, reason: 'RateLimited' }, // 0 s left the window; +100% from 4
  ])
})

t.test('min/max replicas and failing metrics', async (t) => {
  const spec = defaultHpaSpec(2, 15)
  check(t, 'capped at max', spec, 10, [{ atSeconds: 0, metrics: [m(200)], expect: 15, reason: 'BoundedByMinMax' }])
  check(t, 'above max is brought down at once', spec, 20, [{ atSeconds: 0, metrics: [m(20)], expect: 15, reason: 'AboveMaxReplicas' }])
  check(t, 'below min is brought up', spec, 1, [{ atSeconds: 0, metrics: [m(1)], expect: 2, reason: 'BelowMinReplicas' }])
  const noStab: HpaSpec = { ...spec, scaleDown: { ...spec.scaleDown, stabilizationWindowSeconds: 0 } }
  check(t, 'zero load floors at min', noStab, 6, [{ atSeconds: 0, metrics: [m(0)], expect: 2, reason: 'BoundedByMinMax' }])
  check(t, 'metrics API down: hold', noStab, 6, [{ atSeconds: 0, metrics: undefined, expect: 6, reason: 'MetricsUnavailable' }])
  check(t, 'one metric failing blocks a scale-down', noStab, 6, [{ atSeconds: 0, metrics: [undefined, m(2)], expect: 6, reason: 'MetricsUnavailable' }])
  check(t, 'one metric failing does not block a scale-up', noStab, 6, [{ atSeconds: 0, metrics: [undefined, m(9)], expect: 9 }])
  check(t, 'several metrics: the largest proposal', noStab, 6, [{ atSeconds: 0, metrics: [m(3), m(2.2, 0.25), m(1)], expect: 9 }])
})
