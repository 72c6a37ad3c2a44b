import t from 'tap'
import type { ResultReason } from '../names.js'
import { EMPTY_TRACK, decideEvent, observeChange, type ReasonEvent, type ReasonTrack } from './reason-events.js'

const MIN_MS = 60_000

/** One step of a policy's life: a change seen at atMs (or none), then the decision at atMs. */
interface Step { atMs: number; change?: [ResultReason | undefined, ResultReason]; replicas?: number }

/** Runs the steps, every event sent; the events as [atMs, reason, from, changes, type]. */
function run(steps: readonly Step[]): Array<[number, ResultReason, ResultReason | undefined, number, ReasonEvent['type']]> {
  let track: ReasonTrack = EMPTY_TRACK
  const out: Array<[number, ResultReason, ResultReason | undefined, number, ReasonEvent['type']]> = []
  for (const s of steps) {
    if (s.change !== undefined) {
      const [from, to] = s.change
      track = observeChange(track, { ...(from !== undefined ? { from } : {}), to, atMs: s.atMs, message: 'm', ...(s.replicas !== undefined ? { desiredReplicas: s.replicas } : {}) })
    }
    const { next, event } = decideEvent(track, s.atMs, MIN_MS)
    track = next
    if (event !== undefined) out.push([s.atMs, event.reason, event.from, event.changes, event.type])
  }
  return out
}

const rows: Array<{ name: string; steps: Step[]; events: ReturnType<typeof run> }> = [
  { name: 'no change, no event', steps: [{ atMs: 0 }, { atMs: 100_000 }], events: [] },
  { name: 'a change is announced at once', steps: [{ atMs: 0, change: ['Predicted', 'StaleValue'] }], events: [[0, 'StaleValue', 'Predicted', 1, 'Warning']] },
  { name: 'a new policy: its first reason is announced', steps: [{ atMs: 0, change: [undefined, 'ColdStart'] }], events: [[0, 'ColdStart', undefined, 1, 'Normal']] },
  {
    name: 'Predicted -> StaleValue -> Fallback -> Predicted, a minute apart: one event each',
    steps: [{ atMs: 0, change: ['Predicted', 'StaleValue'] }, { atMs: 60_000, change: ['StaleValue', 'Fallback'] }, { atMs: 180_000, change: ['Fallback', 'Predicted'] }],
    events: [[0, 'StaleValue', 'Predicted', 1, 'Warning'], [60_000, 'Fallback', 'StaleValue', 1, 'Warning'], [180_000, 'Predicted', 'Fallback', 1, 'Normal']],
  },
  {
    name: 'changes within the interval wait, then one event sums them up',
    steps: [
      { atMs: 0, change: ['Predicted', 'StaleValue'] },
      { atMs: 15_000, change: ['StaleValue', 'Fallback'] },
      { atMs: 30_000, change: ['Fallback', 'NoData'] },
      { atMs: 45_000 },
      { atMs: 60_000 },
      { atMs: 75_000 },
    ],
    events: [[0, 'StaleValue', 'Predicted', 1, 'Warning'], [60_000, 'NoData', 'StaleValue', 2, 'Warning']],
  },
  {
    name: 'a flap back to the announced reason within the interval makes no event; its changes count in the next',
    steps: [
      { atMs: 0, change: ['Predicted', 'StaleValue'] },
      { atMs: 15_000, change: ['StaleValue', 'Predicted'] },
      { atMs: 30_000, change: ['Predicted', 'StaleValue'] },
      { atMs: 90_000 },
      { atMs: 120_000, change: ['StaleValue', 'Predicted'] },
    ],
    events: [[0, 'StaleValue', 'Predicted', 1, 'Warning'], [120_000, 'Predicted', 'StaleValue', 3, 'Normal']],
  },
  {
    name: 'a change reported twice (another replica wrote it first) counts once',
    steps: [{ atMs: 0, change: ['Predicted', 'Predicted'] }],
    events: [],
  },
  {
    name: 'ColdStart -> Predicted is announced as a Normal event',
    steps: [{ atMs: 0, change: [undefined, 'ColdStart'] }, { atMs: 600_000, change: ['ColdStart', 'Predicted'] }],
    events: [[0, 'ColdStart', undefined, 1, 'Normal'], [600_000, 'Predicted', 'ColdStart', 1, 'Normal']],
  },
]

t.test('which reason changes become events', async (t) => {
  for (const row of rows) t.same(run(row.steps), row.events, row.name)
})

t.test('an event that could not be sent is due again from the same state', async (t) => {
  const track = observeChange(EMPTY_TRACK, { from: 'Predicted', to: 'Fallback', atMs: 0, message: 'Prometheus unreachable', desiredReplicas: 3 })
  const first = decideEvent(track, 0, MIN_MS)
  // Not sent: the caller keeps `track`; the next round decides the same event.
  const again = decideEvent(track, 15_000, MIN_MS)
  t.same(again.event, first.event)
  t.equal(again.event?.note, 'serving 3 replicas (Fallback): Prometheus unreachable [was Predicted]')
})

t.test('the note says what is served and what it sums up', async (t) => {
  let track = observeChange(EMPTY_TRACK, { from: 'Predicted', to: 'StaleValue', atMs: 0, message: 'a', desiredReplicas: 4 })
  track = decideEvent(track, 0, MIN_MS).next
  track = observeChange(track, { from: 'StaleValue', to: 'Fallback', atMs: 10_000, message: 'b', desiredReplicas: 2 })
  track = observeChange(track, { from: 'Fallback', to: 'NoData', atMs: 20_000, message: 'no scale target replicas known' })
  t.equal(decideEvent(track, 30_000, MIN_MS).event, undefined, 'held back by the interval')
  t.equal(decideEvent(track, 60_000, MIN_MS).event?.note, 'serving nothing (NoData): the HPA keeps the current count: no scale target replicas known [was StaleValue; 2 changes since the last event]')
})
