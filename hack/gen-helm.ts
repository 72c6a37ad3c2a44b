// Regenerates what the Helm chart derives from the rest of the repository: values.schema.json (from the zod
// schemas), its copies of deploy/monitoring's alert rules and dashboard, and the values table in docs/deploy.md.
// The CRD under the chart's crds/ comes from hack/gen-crd.ts, with deploy/base/crd.yaml.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { CHART_DIR, MONITORING_FILES, VALUES_SCHEMA_PATH, chartValuesJsonSchemaText, chartValuesReference, withValuesReference } from '../src/deploy/helm-values.js'
import { packageRoot } from '../src/util/paths.js'

const root = packageRoot()
writeFileSync(join(root, VALUES_SCHEMA_PATH), chartValuesJsonSchemaText())
for (const f of MONITORING_FILES) copyFileSync(join(root, 'deploy/monitoring', f), join(root, CHART_DIR, 'files', f))
const values = parse(readFileSync(join(root, CHART_DIR, 'values.yaml'), 'utf8')) as unknown
const docs = join(root, 'docs/deploy.md')
writeFileSync(docs, withValuesReference(readFileSync(docs, 'utf8'), chartValuesReference(values)))
