import { KubeConfig } from '@kubernetes/client-node'
import t from 'tap'
import { startKubeWatchStandIn } from '../../test/helpers/kube-watch-standin.js'
import { remediationSchema } from '../policy/schema.js'
import { updatePolicyStatus } from '../policy/status.js'
import { freshRemediation, kubePolicyRecordClient, stricter } from './policy-record.js'

t.test('kubePolicyRecordClient: the status subresource\'s GET brings the spec as it is now', async (t) => {
  const standIn = await startKubeWatchStandIn()
  t.teardown(() => standIn.close())
  const kc = new KubeConfig()
  kc.loadFromFile(standIn.kubeconfigFile)
  const client = kubePolicyRecordClient(kc)
  const ref = { namespace: 'default', name: 'demo' }
  standIn.put({ apiVersion: 'foresight.dev/v1alpha1', kind: 'ForesightPolicy', metadata: { name: 'demo', namespace: 'default' }, spec: { remediation: { mode: 'Enforce' } }, status: { desiredReplicas: 1 } })
  const got = await client.get(ref, AbortSignal.timeout(5_000))
  t.match(got, { spec: { remediation: { mode: 'Enforce' } }, status: { desiredReplicas: 1 } })
  t.ok(got.resourceVersion !== '')
  standIn.put({ ...(standIn.get('default', 'demo') ?? ({} as never)), spec: { remediation: { mode: 'Off' } } })
  t.match((await client.get(ref, AbortSignal.timeout(5_000))).spec, { remediation: { mode: 'Off' } }, 'a change is seen at once')
  await updatePolicyStatus(client, ref, (s) => ({ ...s, desiredReplicas: 3 }))
  t.match(standIn.get('default', 'demo')?.status, { desiredReplicas: 3 }, 'writes go to the status subresource')
})

t.test('freshRemediation and stricter', async (t) => {
  t.equal(freshRemediation(undefined), undefined, 'no spec: unreadable')
  t.equal(freshRemediation({ remediation: { mode: 'Sometimes' } }), undefined, 'an invalid one too')
  t.match(freshRemediation({}), { mode: 'DryRun', maxRestartsPerHour: 3 }, 'defaults, as the watch applies them')
  const cached = remediationSchema.parse({ mode: 'Enforce', maxRestartsPerHour: 5, maxUnavailable: 2, podCooldownSeconds: 60 })
  const read = remediationSchema.parse({ mode: 'DryRun', maxRestartsPerHour: 1, maxUnavailable: 3, podCooldownSeconds: 600 })
  t.match(stricter(cached, read), { mode: 'DryRun', maxRestartsPerHour: 1, maxUnavailable: 2, podCooldownSeconds: 600 })
  t.match(stricter(read, cached), { mode: 'DryRun', maxRestartsPerHour: 1, maxUnavailable: 2, podCooldownSeconds: 600 }, 'either way round')
  t.equal(stricter(cached, { ...cached, mode: 'Off' }).mode, 'Off')
})
