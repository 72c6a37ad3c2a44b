import { pino } from 'pino'
import t from 'tap'
import { startRemediationStandIn, type RemediationStandIn } from '../../test/helpers/remediation-standin.js'
import { loadKubeClient } from './load.js'
import type { KubeClient } from './rest.js'
import { EventRecorder, type EventInput, type ObjectRef } from './events.js'

const log = pino({ level: 'silent' })
let standIn: RemediationStandIn
let kube: KubeClient
t.before(async () => {
  standIn = await startRemediationStandIn()
  kube = await loadKubeClient(standIn.kubeconfigFile)
})
t.teardown(() => standIn.close())

let clock = Date.parse('2026-01-01T12:00:00Z')
function recorder(): EventRecorder {
  return new EventRecorder({ kube, log, controller: 'foresight.dev/controller', instance: 'foresight-0', now: () => clock })
}

const pod = { apiVersion: 'v1', kind: 'Pod', namespace: 'shop', name: 'web-1', uid: 'u1' }
const policy = { apiVersion: 'foresight.dev/v1alpha1', kind: 'ForesightPolicy', namespace: 'shop', name: 'web' }
const skip = (reason: string, regarding: ObjectRef = pod): EventInput => ({ regarding, related: policy, reason, action: 'Skip', note: `skipped: ${reason}`, type: 'Normal' })

t.beforeEach(() => { standIn.events.length = 0; standIn.eventCode = undefined })

t.test('an events.k8s.io/v1 Event on the object, related to the other', async (t) => {
  t.equal(await recorder().emit({ ...skip('Restarted'), action: 'Evict', type: 'Warning', note: 'error outlier for 180s' }), true)
  t.equal(standIn.events.length, 1)
  t.match(standIn.events[0], {
    apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: /^web-1\.[0-9a-f]+$/, namespace: 'shop' },
    eventTime: /\.\d{6}Z$/, reportingController: 'foresight.dev/controller', reportingInstance: 'foresight-0',
    action: 'Evict', reason: 'Restarted', note: 'error outlier for 180s', type: 'Warning',
    regarding: { kind: 'Pod', name: 'web-1', namespace: 'shop', uid: 'u1' }, related: { kind: 'ForesightPolicy', name: 'web' },
  })
})

t.test('dedupe: same reason and object within a minute is one event', async (t) => {
  const r = recorder()
  const rows: Array<{ name: string; input: EventInput; advanceMs: number; sent: boolean }> = [
    { name: 'first', input: skip('MostPodsFailing'), advanceMs: 0, sent: true },
    { name: 'again at once', input: skip('MostPodsFailing'), advanceMs: 0, sent: false },
    { name: 'again 59 s later', input: skip('MostPodsFailing'), advanceMs: 59_000, sent: false },
    { name: 'another reason', input: skip('BudgetExhausted'), advanceMs: 0, sent: true },
    { name: 'another object, same reason', input: skip('MostPodsFailing', policy), advanceMs: 0, sent: true },
    { name: 'a minute after the first', input: skip('MostPodsFailing'), advanceMs: 1_000, sent: true },
  ]
  for (const row of rows) {
    clock += row.advanceMs
    t.equal(await r.emit(row.input), row.sent, row.name)
  }
  t.equal(standIn.events.length, 4)
})

t.test('a failure is logged, never thrown, and the next try is not deduped away', async (t) => {
  const r = recorder()
  standIn.eventCode = 403
  t.equal(await r.emit(skip('PodCooldown')), false)
  standIn.eventCode = undefined
  t.equal(await r.emit(skip('PodCooldown')), true)
  t.equal(standIn.events.length, 1)
})

t.test('long notes are cut to the API\'s 1 kB', async (t) => {
  await recorder().emit({ ...skip('Long'), note: 'é'.repeat(2_000) })
  const note = standIn.events[0]?.note as string
  t.ok(Buffer.byteLength(note) <= 1024)
  t.ok(note.endsWith('...'))
})
