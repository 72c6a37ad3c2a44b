// Regenerates deploy/base/crd.yaml from the ForesightPolicy zod schema.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CRD_PATH, policyCrdYaml } from '../src/policy/crd.js'
import { packageRoot } from '../src/util/paths.js'

writeFileSync(join(packageRoot(), CRD_PATH), policyCrdYaml())
