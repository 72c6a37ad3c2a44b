// Regenerates deploy/base/crd.yaml and the Helm chart's copy under crds/ from the ForesightPolicy zod schema.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CHART_CRD_PATH } from '../src/deploy/helm-values.js'
import { CRD_PATH, policyCrdYaml } from '../src/policy/crd.js'
import { packageRoot } from '../src/util/paths.js'

for (const path of [CRD_PATH, CHART_CRD_PATH]) writeFileSync(join(packageRoot(), path), policyCrdYaml())
