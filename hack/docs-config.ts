// Regenerates the configuration reference in README.md from the zod schema.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { configReference, withReference } from '../src/config/reference.js'
import { adapterConfigSchema } from '../src/config/adapter-config.js'
import { packageRoot } from '../src/util/paths.js'

const file = join(packageRoot(), 'README.md')
writeFileSync(file, withReference(readFileSync(file, 'utf8'), configReference(adapterConfigSchema)))
