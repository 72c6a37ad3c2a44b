import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { policyFromFile } from './backtest.js'

// Which policy of a file `foresight backtest --policy F [--name N]` replays.
const dir = mkdtempSync(join(tmpdir(), 'foresight-backtest-cli-'))
const doc = (ns: string, name: string): string => `apiVersion: foresight.dev/v1alpha1
kind: ForesightPolicy
metadata: { name: ${name}, namespace: ${ns} }
spec:
  scaleTargetRef: { name: ${name} }
  load: { query: up, capacityPerReplica: 5 }
  maxReplicas: 10
`
const file = join(dir, 'two-webs.yaml')
writeFileSync(file, [doc('shop', 'web'), doc('blog', 'web'), doc('shop', 'api')].join('---\n'))

t.test('a name alone picks the policy when it is unique', async (t) => {
  t.match(policyFromFile(file, 'api').metadata, { namespace: 'shop', name: 'api' })
})

t.test('namespace/name picks one of two same-named policies; the name alone says how', async (t) => {
  t.match(policyFromFile(file, 'blog/web').metadata, { namespace: 'blog', name: 'web' })
  t.throws(() => policyFromFile(file, 'web'), /holds 2 policies named web: choose one with --name <namespace>\/<name> \(shop\/web, blog\/web\)/)
  t.throws(() => policyFromFile(file, undefined), /holds 3 policies: choose one with --name <name> or <namespace>\/<name>/)
  t.throws(() => policyFromFile(file, 'other/web'), /no policy named other\/web/)
})
