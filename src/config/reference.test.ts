import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { packageRoot } from '../util/paths.js'
import { configReference, withReference } from './reference.js'
import { adapterConfigSchema } from './adapter-config.js'

t.test('README configuration reference matches the schema (run `npm run docs:config` to update)', async (t) => {
  const readme = readFileSync(join(packageRoot(), 'README.md'), 'utf8')
  t.equal(withReference(readme, configReference(adapterConfigSchema)), readme)
})

t.test('every setting is listed with its environment variable', async (t) => {
  const table = configReference(adapterConfigSchema)
  t.match(table, '| `listen.port` | `FORESIGHT_LISTEN__PORT` | integer | `6443` |')
  t.match(table, '| `auth.mode` | `FORESIGHT_AUTH__MODE` | `local` \\| `kubernetes` | `"local"` |')
  t.match(table, '`auth.requestHeader.allowedNames` | `FORESIGHT_AUTH__REQUEST_HEADER__ALLOWED_NAMES` | array')
})

t.test('a discriminator lists every variant, not only the first', async (t) => {
  t.match(configReference(adapterConfigSchema), '| `source.kind` | `FORESIGHT_SOURCE__KIND` | `replay` \\| `prometheus` |')
})
