import { mkdtempSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import t from 'tap'
import { packageRoot } from '../util/paths.js'
import { FilePolicySource, parsePolicyFile } from './file-source.js'
import { policyKey } from './schema.js'

const log = pino({ level: 'silent' })
const dir = mkdtempSync(join(tmpdir(), 'foresight-policies-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

function policyYaml(name: string, maxReplicas = 10, namespace = 'default'): string {
  return `apiVersion: foresight.dev/v1alpha1
kind: ForesightPolicy
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  scaleTargetRef: { name: ${name} }
  load: { query: up, capacityPerReplica: 5 }
  maxReplicas: ${maxReplicas}
`
}

let n = 0
function source(text: string, pollIntervalMs = 60_000): { src: FilePolicySource; file: string } {
  const file = join(dir, `p${++n}.yaml`)
  writeFileSync(file, text)
  const src = new FilePolicySource({ file, log, pollIntervalMs })
  t.teardown(() => src.close())
  return { src, file }
}

/** Rewrites the file with a distinct mtime, as an editor saving it a moment later would. */
function rewrite(file: string, text: string): void {
  writeFileSync(file, text)
  const later = new Date(Date.now() + 1000 * ++n)
  utimesSync(file, later, later)
}

const keys = (src: FilePolicySource): string[] => src.list().map(policyKey).sort()

t.test('the shipped example is a valid policy', async (t) => {
  const parsed = parsePolicyFile(readFileSync(join(packageRoot(), 'deploy/examples/policies.yaml'), 'utf8'))
  t.same([...parsed.invalid], [])
  const demo = parsed.valid.get('default/demo')
  t.match(demo?.spec, { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 50 })
  t.equal(demo?.spec.load.query, 'sum(rate(http_requests_total{namespace="default",service="web"}[2m]))')
})

t.test('multi-document files, Lists and empty documents', async (t) => {
  const list = `apiVersion: v1\nkind: List\nitems:\n${policyYaml('c').replace(/^/gm, '  ').replace(/^ {2}apiVersion/, '- apiVersion').trimEnd()}\n`
  const { src } = source(`---\n${policyYaml('a')}---\n# nothing here\n---\n${policyYaml('b', 10, 'shop')}---\n${list}`)
  await src.start()
  t.ok(src.ready())
  t.same(keys(src), ['default/a', 'default/c', 'shop/b'])
  t.equal(src.get('shop/b')?.spec.maxReplicas, 10, 'looked up by key')
  t.equal(src.get('default/b'), undefined, 'in its own namespace only')
  t.ok(Object.isFrozen(src.list()) && Object.isFrozen(src.list()[0]?.spec.scaleDown), 'frozen all the way down')
  t.equal(src.invalid().size, 0)
})

t.test('an empty set is an explicit empty list; a file with no document is refused', async (t) => {
  for (const text of ['[]\n', '# policies go here\n[]\n', 'apiVersion: v1\nkind: List\nitems: []\n', '---\n[]\n---\n']) {
    const { src } = source(text)
    await src.start()
    t.ok(src.ready(), JSON.stringify(text))
    t.same(src.list(), [])
  }
  for (const text of ['', '\n', '   \n\t\n', '# policies go here\n', '---\n', '---\n---\n# nothing\n', '~\n', 'null\n']) {
    const { src } = source(text)
    await t.rejects(src.start(), /: the file holds no document \(write \[\] for an empty set\)$/, JSON.stringify(text))
  }
})

t.test('a file truncated before it is rewritten keeps the last good set, as a broken file does', async (t) => {
  const warnings: object[] = []
  const logged = pino({ level: 'warn' }, { write: (line: string) => { warnings.push(JSON.parse(line) as object) } })
  const file = join(dir, `p${++n}.yaml`)
  writeFileSync(file, `${policyYaml('a')}---\n${policyYaml('b')}`)
  const src = new FilePolicySource({ file, log: logged, pollIntervalMs: 60_000 })
  t.teardown(() => src.close())
  await src.start()
  let changes = 0
  src.onChange(() => changes++)
  for (const text of ['', '\n', '# being rewritten\n']) {
    rewrite(file, text)
    t.equal(await src.check(), 'failed', JSON.stringify(text))
    t.same(keys(src), ['default/a', 'default/b'])
  }
  t.equal(changes, 0)
  t.match(warnings, [{ msg: 'unable to reload policies; keeping the previous set', problem: /holds no document/ }])
  t.equal(warnings.length, 1, 'reported once while it stays empty')
  rewrite(file, '[]\n')
  t.equal(await src.check(), 'reloaded', 'an explicit empty list empties the set')
  t.same(keys(src), [])
  t.equal(changes, 1)
})

t.test('an invalid document is reported by name and skipped; the others are kept', async (t) => {
  const { src } = source(`${policyYaml('good')}---\n${policyYaml('bad', 0)}---\nkind: Nonsense\n`)
  await src.start()
  t.same(keys(src), ['default/good'])
  t.same([...src.invalid()], [
    ['default/bad', 'spec.maxReplicas: Too small: expected number to be >=1; spec.minReplicas: must not exceed maxReplicas'],
    ['(object 3)', 'apiVersion: Invalid input: expected "foresight.dev/v1alpha1"; kind: Invalid input: expected "ForesightPolicy"; metadata: Required; spec: Required'],
  ])
})

t.test('a policy the admission webhook would refuse is refused from a file too', async (t) => {
  const coarse = policyYaml('coarse').replace('  maxReplicas: 10', '  maxReplicas: 10\n  stepSeconds: 600\n  horizonSeconds: 300\n  historySeconds: 36000')
  const badQuery = policyYaml('bad-query').replace('query: up', "query: 'sum(rate(x[2m]'")
  const { src } = source(`${policyYaml('good')}---\n${coarse}---\n${badQuery}`)
  await src.start()
  t.same(keys(src), ['default/good'])
  t.match(src.invalid().get('default/coarse'), /^spec\.horizonSeconds: 300 is shorter than one step \(stepSeconds 600\)$/)
  t.match(src.invalid().get('default/bad-query'), /^spec\.load\.query: invalid PromQL: /)
})

t.test('a later definition of the same policy wins, as with kubectl apply', async (t) => {
  const { src } = source(`${policyYaml('a', 5)}---\n${policyYaml('a', 7)}`)
  await src.start()
  t.equal(src.list()[0]?.spec.maxReplicas, 7)
})

t.test('a later invalid definition of a served policy is refused with a log line; the earlier one is served', async (t) => {
  const warnings: Array<Record<string, unknown>> = []
  const logged = pino({ level: 'warn' }, { write: (line: string) => { warnings.push(JSON.parse(line) as Record<string, unknown>) } })
  const file = join(dir, `p${++n}.yaml`)
  writeFileSync(file, `${policyYaml('a', 5)}---\n${policyYaml('a', 0)}`)
  const src = new FilePolicySource({ file, log: logged, pollIntervalMs: 60_000 })
  t.teardown(() => src.close())
  await src.start()
  t.equal(src.list()[0]?.spec.maxReplicas, 5)
  const why = 'a later definition was refused, the earlier one is served: spec.maxReplicas: Too small: expected number to be >=1; spec.minReplicas: must not exceed maxReplicas'
  t.same([...src.invalid()], [['default/a', why]])
  t.match(warnings, [{ msg: 'invalid policy skipped', policy: 'default/a', reason: why }])
})

t.test('one policy per workload, as the webhook admits them: a later policy for a targeted workload is refused', async (t) => {
  const targeting = (name: string, target: string, namespace = 'default', kind = 'Deployment'): string =>
    policyYaml(name, 10, namespace).replace(`scaleTargetRef: { name: ${name} }`, `scaleTargetRef: { name: ${target}, kind: ${kind} }`)
  const cases: Array<[string, string, string[], Array<[string, RegExp]>]> = [
    ['same workload', `${targeting('a', 'web')}---\n${targeting('b', 'web')}`, ['default/a'], [['default/b', /^spec\.scaleTargetRef: Deployment web is already targeted by ForesightPolicy a in namespace default$/]]],
    ['three on one workload', `${targeting('a', 'web')}---\n${targeting('b', 'web')}---\n${targeting('c', 'web')}`, ['default/a'], [['default/b', /already targeted by ForesightPolicy a/], ['default/c', /already targeted by ForesightPolicy a/]]],
    ['other namespace', `${targeting('a', 'web')}---\n${targeting('b', 'web', 'shop')}`, ['default/a', 'shop/b'], []],
    ['other kind', `${targeting('a', 'web')}---\n${targeting('b', 'web', 'default', 'StatefulSet')}`, ['default/a', 'default/b'], []],
    ['the same policy redefined', `${targeting('a', 'web')}---\n${targeting('a', 'web')}`, ['default/a'], []],
    ['retargeted first, so the workload is free', `${targeting('a', 'web')}---\n${targeting('a', 'api')}---\n${targeting('b', 'web')}`, ['default/a', 'default/b'], []],
    ['retargeted onto a targeted workload', `${targeting('a', 'web')}---\n${targeting('b', 'api')}---\n${targeting('b', 'web')}`, ['default/a', 'default/b'], [['default/b', /^a later definition was refused, the earlier one is served: spec\.scaleTargetRef: Deployment web is already targeted by ForesightPolicy a/]]],
  ]
  for (const [name, text, served, refused] of cases) {
    const parsed = parsePolicyFile(text)
    t.same([...parsed.valid.keys()].sort(), served, `${name}: served`)
    t.same([...parsed.invalid.keys()].sort(), refused.map(([k]) => k), `${name}: refused`)
    for (const [key, why] of refused) t.match(parsed.invalid.get(key), why, `${name}: ${key}`)
  }
  t.equal(parsePolicyFile(`${targeting('b', 'api')}---\n${targeting('b', 'web')}---\n${targeting('a', 'api')}`).valid.size, 2, 'a workload left by a redefinition is free again')
})

t.test('start rejects when the file is missing or not YAML', async (t) => {
  const missing = new FilePolicySource({ file: join(dir, 'nope.yaml'), log })
  await t.rejects(missing.start(), /^unable to load policies: .*nope\.yaml: file not found or unreadable \(ENOENT\)$/)
  t.notOk(missing.ready())
  const { src } = source('a: [unclosed\n')
  await t.rejects(src.start(), /unable to load policies: .*: not valid YAML: /)
})

t.test('changes are detected and applied whole; untouched content is not re-applied', async (t) => {
  const { src, file } = source(policyYaml('a'))
  await src.start()
  let changes = 0
  src.onChange(() => changes++)
  t.equal(await src.check(), 'unchanged', 'same stat: not even read')

  const later = new Date(Date.now() + 5_000)
  utimesSync(file, later, later)
  t.equal(await src.check(), 'unchanged', 'touched but same content')
  t.equal(changes, 0)

  rewrite(file, `${policyYaml('a', 20)}---\n${policyYaml('b')}`)
  t.equal(await src.check(), 'reloaded')
  t.equal(changes, 1)
  t.same(keys(src), ['default/a', 'default/b'])
  t.equal(src.list().find((p) => p.metadata.name === 'a')?.spec.maxReplicas, 20)

  rewrite(file, policyYaml('b'))
  await src.check()
  t.same(keys(src), ['default/b'], 'removed from the file, removed from the set')
  t.equal(changes, 2)

  rewrite(file, `${policyYaml('b')}\n# a comment changes the bytes, not the policies\n`)
  t.equal(await src.check(), 'reloaded')
  t.equal(changes, 2, 'no change event when the set is the same')
})

t.test('a file that stops parsing keeps the last good set', async (t) => {
  const { src, file } = source(`${policyYaml('a')}---\n${policyYaml('b')}`)
  await src.start()
  let changes = 0
  src.onChange(() => changes++)

  // Half-written: the first document is fine, the second breaks off mid-mapping.
  rewrite(file, `${policyYaml('a', 3)}---\napiVersion: foresight.dev/v1alpha1\nmetadata: { name: b\n`)
  t.equal(await src.check(), 'failed')
  t.same(keys(src), ['default/a', 'default/b'])
  t.equal(src.list().find((p) => p.metadata.name === 'a')?.spec.maxReplicas, 10, 'no half-applied state')

  rmSync(file)
  t.equal(await src.check(), 'failed', 'deleted file')
  t.same(keys(src), ['default/a', 'default/b'])
  t.ok(src.ready())
  t.equal(changes, 0)

  writeFileSync(`${file}.tmp`, policyYaml('c'))
  renameSync(`${file}.tmp`, file)
  t.equal(await src.check(), 'reloaded', 'atomic replace, as ConfigMap mounts do')
  t.same(keys(src), ['default/c'])
})

t.test('the poll timer picks up changes on its own and stops on close', async (t) => {
  const { src, file } = source(policyYaml('a'), 20)
  await src.start()
  const changed = new Promise<void>((resolve) => src.onChange(resolve))
  rewrite(file, policyYaml('z'))
  // A ref'd timer: the source's own timer is unref'd and would let the process exit under the test.
  let guard: NodeJS.Timeout | undefined
  await Promise.race([changed, new Promise((_r, reject) => { guard = setTimeout(() => reject(new Error('no change seen in 5 s')), 5_000) })])
  clearTimeout(guard)
  t.same(keys(src), ['default/z'])
  await src.close()
  let after = 0
  src.onChange(() => after++)
  rewrite(file, policyYaml('y'))
  await new Promise((r) => setTimeout(r, 100))
  t.equal(after, 0, 'no polling after close')
})

t.test('a throwing listener does not stop the others', async (t) => {
  const { src, file } = source(policyYaml('a'))
  await src.start()
  let heard = false
  src.onChange(() => { throw new Error('boom') })
  const off = src.onChange(() => { heard = true })
  rewrite(file, policyYaml('b'))
  await src.check()
  t.ok(heard)
  off()
})
