import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { packageRoot } from '../util/paths.js'
import { CRD_PATH, REGENERATE_COMMAND, policyCrdYaml } from '../policy/crd.js'
import {
  CHART_CRD_PATH, CHART_DIR, MONITORING_FILES, REGENERATE_HELM_COMMAND, VALUES_SCHEMA_PATH,
  chartValuesJsonSchemaText, chartValuesReference, chartValuesSchema, withValuesReference,
} from './helm-values.js'

const root = packageRoot()
const read = (p: string): string => readFileSync(join(root, p), 'utf8')
const values = (): unknown => parse(read(`${CHART_DIR}/values.yaml`)) as unknown

t.test(`${VALUES_SCHEMA_PATH} is what the schemas generate`, async (t) => {
  t.equal(read(VALUES_SCHEMA_PATH), chartValuesJsonSchemaText(), `out of date: run \`${REGENERATE_HELM_COMMAND}\``)
})

t.test('the chart carries the CRD that the schema generates', async (t) => {
  t.equal(read(CHART_CRD_PATH), policyCrdYaml(), `${CHART_CRD_PATH} is out of date: run \`${REGENERATE_COMMAND}\``)
  t.equal(read(CHART_CRD_PATH), read(CRD_PATH), `the same CRD as ${CRD_PATH}`)
})

t.test('the chart carries the files of deploy/monitoring', async (t) => {
  for (const f of MONITORING_FILES) t.equal(read(`${CHART_DIR}/files/${f}`), read(`deploy/monitoring/${f}`), `${f}: run \`${REGENERATE_HELM_COMMAND}\``)
})

t.test('values.yaml has exactly the values the schema describes', async (t) => {
  const r = chartValuesSchema.safeParse(values())
  t.ok(r.success, r.success ? 'values.yaml fits' : r.error.message)
  const broken = { ...(values() as Record<string, unknown>), imageTag: '1.0' }
  t.notOk(chartValuesSchema.safeParse(broken).success, 'an unknown top-level key is refused')
})

t.test('docs/deploy.md lists every value with its default', async (t) => {
  const docs = read('docs/deploy.md')
  const table = chartValuesReference(values())
  t.equal(withValuesReference(docs, table), docs, `docs/deploy.md values table out of date: run \`${REGENERATE_HELM_COMMAND}\``)
  t.match(table, '| `apiService.enabled` | boolean | `true` |')
  t.match(table, '| `certificates.mode` | `generate` \\| `certManager` \\| `existing` | `"generate"` |')
  t.match(table, /\| `adapter\.config` \| object \| `\{"auth":\{"mode":"kubernetes"\}/)
  t.notMatch(table, /\|\s*\|$/m, 'every value has a description')
})

t.test('the chart passes every mapping-valued setting as one JSON --set (foresight.mappingSettings)', async (t) => {
  interface Node { type?: string; properties?: Record<string, Node>; additionalProperties?: unknown; anyOf?: Node[]; oneOf?: Node[]; allOf?: Node[] }
  const found = new Set<string>()
  const walk = (n: Node | undefined, path: string[]): void => {
    if (n === undefined) return
    if (n.type === 'object' && typeof n.additionalProperties === 'object' && path.length > 0) found.add(path.join('.'))
    for (const [k, v] of Object.entries(n.properties ?? {})) walk(v, [...path, k])
    for (const v of [...(n.anyOf ?? []), ...(n.oneOf ?? []), ...(n.allOf ?? [])]) walk(v, path)
  }
  const schema = JSON.parse(read(VALUES_SCHEMA_PATH)) as Node
  for (const component of ['adapter', 'webhook', 'controller']) walk(schema.properties?.[component]?.properties?.config, [])
  const helpers = read(`${CHART_DIR}/templates/_helpers.tpl`)
  const listed = /define "foresight\.mappingSettings" -}}([^{]*){{/.exec(helpers)?.[1]?.trim().split(/\s+/) ?? []
  t.ok(found.size > 0, 'the schemas have mapping-valued settings')
  t.strictSame([...listed].sort(), [...found].sort(), 'the template lists exactly the schemas\' mapping-valued settings')
})
