import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { adapterConfigSchema } from './adapter-config.js'
import { duplicateHeaderNames, headerNameProblem, headerValueProblem } from './http-headers.js'
import { loadConfig } from './load.js'

const dir = mkdtempSync(join(tmpdir(), 'foresight-headers-'))
const tenantFile = join(dir, 'tenant')
writeFileSync(tenantFile, 'team-a\n')
const prom = ['source.kind=prometheus', 'source.url=http://mimir.monitoring/prometheus']
const load = (env: Record<string, string>, set: string[] = []): ReturnType<typeof loadConfig<typeof adapterConfigSchema>> =>
  loadConfig(adapterConfigSchema, { env, set: [...prom, ...set] })

t.test('headers and headerFiles come from the environment or --set as JSON mappings', async (t) => {
  const cfg = load({ FORESIGHT_SOURCE__HEADERS: '{"X-Scope-OrgID":"team-a"}' }, [`source.headerFiles={"X-Api-Key":"${tenantFile}"}`])
  if (cfg.source.kind !== 'prometheus') throw new Error('expected the prometheus source')
  t.same(cfg.source.headers, { 'X-Scope-OrgID': 'team-a' })
  t.same(cfg.source.headerFiles, { 'X-Api-Key': tenantFile })
  t.equal(cfg.source.url, 'http://mimir.monitoring/prometheus', 'the path prefix stays in the URL')
  const none = load({})
  t.same(none.source.kind === 'prometheus' ? none.source.headers : undefined, {}, 'none by default')
})

t.test('bad headers are refused, naming the setting and never echoing a value', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['source.headers={"X Scope":"a"}'], /source\.headers\.X Scope: "X Scope" is not a valid header name/],
    [['source.headers={"X-Scope-OrgID":"a\\r\\nX-Admin: 1"}'], /source\.headers\.X-Scope-OrgID: the value holds a line break/],
    [['source.headers={"Host":"evil"}'], /source\.headers\.Host: Host is set by the HTTP client/],
    [['source.headers={"Authorization":"Bearer s3cret"}'], /source\.headers\.Authorization: credentials do not belong in plain configuration: use bearerTokenFile/],
    [['source.headers={"X-Scope-OrgID":"a"}', `source.headerFiles={"x-scope-orgid":"${tenantFile}"}`], /header X-Scope-OrgID and x-scope-orgid is set twice/],
    [[`source.headerFiles={"X-Scope-OrgID":"${join(dir, 'missing')}"}`], /source\.headerFiles\.X-Scope-OrgID: file not found/],
    [[`source.headerFiles={"Authorization":"${tenantFile}"}`, `source.bearerTokenFile=${tenantFile}`], /source\.headerFiles\.Authorization: Authorization is already sent/],
    [['source.headers=X-Scope-OrgID: s3cret'], /^unable to load config: source\.headers: expected a mapping of names to values \(JSON in the environment or --set, such as \{"X-Scope-OrgID":"team-a"\}\), got text that is not a JSON object$/],
    [['source.headers=["s3cret"]'], /source\.headers: expected a mapping .*, got a list$/],
  ]
  for (const [set, message] of cases) {
    let err: unknown
    try {
      load({}, set)
    } catch (e) {
      err = e
    }
    t.match(err, { name: 'ConfigError', message }, set.join(' '))
    t.notMatch(String(err), /s3cret|evil/, 'values are not echoed')
  }
  const cfg = load({}, [`source.headerFiles={"Authorization":"${tenantFile}"}`])
  t.same(cfg.source.kind === 'prometheus' ? Object.keys(cfg.source.headerFiles) : [], ['Authorization'], 'Authorization from a file, without other credentials')
})

t.test('the rules on their own', async (t) => {
  t.equal(headerNameProblem('X-Scope-OrgID'), undefined)
  t.match(headerNameProblem(''), /empty/)
  t.match(headerNameProblem('X-Scope-OrgID:'), /not a valid header name/)
  t.match(headerNameProblem('content-length'), /set by the HTTP client/)
  t.equal(headerValueProblem('tenant a|b'), undefined)
  t.match(headerValueProblem('  '), /empty/)
  t.match(headerValueProblem('a\nb'), /line break/)
  t.same(duplicateHeaderNames(['A', 'b', 'a', 'B', 'c']), ['A and a', 'b and B'])
})
