import t from 'tap'
import { remediationSchema } from '../policy/schema.js'
import { freshRemediation, stricter } from './policy-record.js'

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
