import Fastify from 'fastify'
import t from 'tap'
import type { MetricItem, MetricProvider, QueryResult } from '../ports.js'
import { statusErrors } from '../server/errors.js'
import { externalMetricsRoutes } from './external-metrics.js'

// The route's choice between 200, 404 and 503 over what the source answers (authentication is the hook's job
// and is tested with the server).
const item = (policy: string, value: number): MetricItem => ({ metricName: 'foresight_desired_replicas', labels: { 'foresight.dev/policy': policy }, value, timestamp: new Date(0), windowSeconds: 60 })
let answer: QueryResult = { state: 'ok', items: [] }
const source: MetricProvider = { metricNames: ['foresight_desired_replicas'], readiness: () => ({ ready: true, reason: 'test' }), query: (_ns, _metric, names) => { asked.push(names === undefined ? undefined : [...names].sort()); return answer } }
const asked: Array<string[] | undefined> = []

const app = Fastify()
await app.register(statusErrors)
await app.register(externalMetricsRoutes, { source })
t.teardown(() => app.close())
const get = async (selector: string): Promise<{ statusCode: number; body: { message?: string; items?: unknown[] } }> => {
  const res = await app.inject({ url: `/apis/external.metrics.k8s.io/v1beta1/namespaces/shop/foresight_desired_replicas?labelSelector=${encodeURIComponent(selector)}` })
  return { statusCode: res.statusCode, body: res.json() }
}

t.test('two policies in a namespace, one without data yet', async (t) => {
  answer = { state: 'ok', items: [item('web', 4)], pending: [{ 'foresight.dev/policy': 'api' }], pendingLaterKeys: ['quantile', 'class'] }
  const web = await get('foresight.dev/policy=web')
  t.equal(web.statusCode, 200)
  t.equal(web.body.items?.length, 1)
  const api = await get('foresight.dev/policy=api')
  t.equal(api.statusCode, 503, 'the policy without data is not ready, not missing')
  t.match(api.body.message, 'the policy the selector "foresight.dev/policy=api" names has no data yet')
  t.equal((await get('foresight.dev/policy=nope')).statusCode, 404, 'a policy that does not exist is still a 404')
  t.equal((await get('foresight.dev/policy=api,quantile=0.9')).statusCode, 503, 'labels its series will carry do not turn it into a 404')
  t.equal((await get('foresight.dev/policy in (api,x),class')).statusCode, 503, 'nor does an exists requirement on such a label')
  t.equal((await get('foresight.dev/policy=nope,quantile=0.9')).statusCode, 404, 'the policy label still decides')
  t.equal((await get('foresight.dev/policy!=api,quantile=0.9')).statusCode, 404, 'a selector excluding the pending policy is a 404')
  t.equal((await get('foresight.dev/policy=api,app=web')).statusCode, 404, 'a label its series will never carry still rules it out')
  t.equal((await get('foresight.dev/policy=api,!app')).statusCode, 503, 'and its absence does not')
  t.equal((await get('foresight.dev/reason=Fallback')).statusCode, 404, 'a selector on a label no series of this metric carries names no pending policy')
})

t.test('no policy of the namespace has data yet: the selector still decides between 503 and 404', async (t) => {
  answer = { state: 'ok', items: [], pending: [{ 'foresight.dev/policy': 'web' }], pendingLaterKeys: ['foresight.dev/reason'] }
  t.equal((await get('foresight.dev/policy=web')).statusCode, 503, 'the waiting policy')
  t.equal((await get('foresight.dev/policy=nope')).statusCode, 404, 'a typo in the policy name is not "not ready" forever')
  t.equal((await get('app=web')).statusCode, 404, 'nor is a label no series carries')
})

t.test('the source is told which policies the selector can match, so it can skip the rest', async (t) => {
  answer = { state: 'ok', items: [item('web', 4)] }
  const cases: Array<[string, string[] | undefined]> = [
    ['foresight.dev/policy=web', ['web']],
    ['foresight.dev/policy in (web,api),quantile=0.9', ['api', 'web']],
    ['foresight.dev/policy in (web,api),foresight.dev/policy=api', ['api']],
    ['foresight.dev/policy!=web', undefined],
    ['', undefined],
  ]
  for (const [selector, want] of cases) {
    asked.length = 0
    await get(selector)
    t.same(asked, [want], selector === '' ? '(no selector)' : selector)
  }
})

t.test('a long selector is quoted cut short in the error', async (t) => {
  answer = { state: 'ok', items: [] }
  const long = `foresight.dev/policy in (${Array.from({ length: 400 }, (_, i) => `p${i}`).join(',')})`
  const r = await get(long)
  t.equal(r.statusCode, 404)
  t.ok((r.body.message?.length ?? 0) < 400, `message of ${r.body.message?.length} characters`)
  t.match(r.body.message, /matched the selector "foresight\.dev\/policy in \(p0,p1,.*\.\.\. \(\d+ characters\)"$/)
})
