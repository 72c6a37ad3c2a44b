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
