import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { z } from 'zod'
import { packageRoot } from '../util/paths.js'
import { CRD_PATH, REGENERATE_COMMAND, SchemaConversionError, policyCrd, policyCrdYaml, toStructural, type StructuralSchema } from './crd.js'
import { policySpecSchema } from './schema.js'

// Independent of the generator on purpose: these are the apiserver's structural-schema rules as it states them.
const ALLOWED = new Set(['type', 'description', 'default', 'nullable', 'properties', 'required', 'additionalProperties', 'items', 'enum',
  'format', 'pattern', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength', 'minItems', 'maxItems',
  'uniqueItems', 'multipleOf', 'x-kubernetes-preserve-unknown-fields'])

function structuralProblems(node: Record<string, unknown>, path: string, out: string[], root = false): string[] {
  for (const key of Object.keys(node)) if (!ALLOWED.has(key)) out.push(`${path}: ${key} not allowed`)
  if (node.type === undefined && node['x-kubernetes-preserve-unknown-fields'] !== true) out.push(`${path}: no type`)
  if (root && (node.type !== 'object' || node.additionalProperties !== undefined)) out.push(`${path}: the root must be an object without additionalProperties`)
  if (node.type === 'array' && node.items === undefined) out.push(`${path}: array without items`)
  if (node.properties !== undefined && node.additionalProperties !== undefined) out.push(`${path}: additionalProperties beside properties`)
  const props = node.properties as Record<string, Record<string, unknown>> | undefined
  for (const r of (node.required as string[] | undefined) ?? []) if (props?.[r] === undefined) out.push(`${path}: required ${r} is not a property`)
  if (node.enum !== undefined && node.default !== undefined && !(node.enum as unknown[]).includes(node.default)) out.push(`${path}: default outside enum`)
  if (node.default !== undefined) {
    const d = node.default
    const kind = Array.isArray(d) ? 'array' : Number.isInteger(d) ? 'integer' : typeof d
    const fits = kind === node.type || (kind === 'integer' && node.type === 'number')
    if (!fits) out.push(`${path}: default ${JSON.stringify(d)} is not a ${String(node.type)}`)
  }
  for (const [name, child] of Object.entries(props ?? {})) structuralProblems(child, `${path}.${name}`, out)
  if (typeof node.items === 'object' && node.items !== null) structuralProblems(node.items as Record<string, unknown>, `${path}[]`, out)
  if (typeof node.additionalProperties === 'object' && node.additionalProperties !== null) structuralProblems(node.additionalProperties as Record<string, unknown>, `${path}.*`, out)
  return out
}

/** The apiserver's defaulting: top-down, a missing field with a default is set, then its own fields are defaulted. */
function applyDefaults(value: unknown, schema: StructuralSchema): unknown {
  if (schema.type !== 'object' || typeof value !== 'object' || value === null) return value
  const obj = { ...(value as Record<string, unknown>) }
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    if (obj[name] === undefined && child.default !== undefined) obj[name] = structuredClone(child.default)
    if (obj[name] !== undefined) obj[name] = applyDefaults(obj[name], child)
  }
  return obj
}

function openApi(): { spec: StructuralSchema; root: Record<string, unknown> } {
  const crd = policyCrd() as { spec: { versions: Array<{ schema: { openAPIV3Schema: Record<string, unknown> } }> } }
  const root = crd.spec.versions[0]?.schema.openAPIV3Schema
  if (root === undefined) throw new Error('no version')
  return { root, spec: (root.properties as Record<string, StructuralSchema>).spec as StructuralSchema }
}

t.test(`${CRD_PATH} is what the schema generates`, async (t) => {
  const onDisk = readFileSync(join(packageRoot(), CRD_PATH), 'utf8')
  t.equal(onDisk, policyCrdYaml(), `${CRD_PATH} is out of date with src/policy/schema.ts: run \`${REGENERATE_COMMAND}\``)
})

t.test('the generated schema is structural', async (t) => {
  const { root } = openApi()
  t.same(structuralProblems(root, 'openAPIV3Schema', [], true), [])
  t.same((root.properties as Record<string, unknown>).metadata, { type: 'object' }, 'metadata left to the apiserver')
  t.notMatch(JSON.stringify(root), /"\$schema"|"anyOf"|"oneOf"|"\$ref"|"allOf"/)
})

t.test('the validator itself catches what the apiserver rejects', async (t) => {
  t.same(structuralProblems({ properties: { a: { type: 'string' } }, additionalProperties: false, anyOf: [] }, 'x', []), [
    'x: anyOf not allowed', 'x: no type', 'x: additionalProperties beside properties',
  ])
  t.same(structuralProblems({ type: 'string', enum: ['a'], default: 'b' }, 'x', []), ['x: default outside enum'])
  t.same(structuralProblems({ type: 'object', properties: { l: { type: 'array' } }, additionalProperties: { type: 'string' } }, 'x', [], true), [
    'x: the root must be an object without additionalProperties', 'x: additionalProperties beside properties', 'x.l: array without items',
  ])
})

t.test('the apiserver defaults a minimal spec exactly as zod does', async (t) => {
  const minimal = { scaleTargetRef: { name: 'web' }, load: { query: 'up', capacityPerReplica: 10 }, maxReplicas: 5 }
  const { spec } = openApi()
  t.same(applyDefaults(minimal, spec), policySpecSchema.parse(minimal))
})

t.test('CRD shape: names, scope, status subresource, printer columns', async (t) => {
  const crd = parse(policyCrdYaml(), { version: '1.1' }) as { metadata: { name: string }; spec: Record<string, unknown> & { versions: Array<Record<string, unknown>> } }
  t.equal(crd.metadata.name, 'foresightpolicies.foresight.dev')
  t.equal(crd.spec.scope, 'Namespaced')
  t.same((crd.spec.names as { shortNames: string[] }).shortNames, ['fpol'])
  const v = crd.spec.versions[0]
  t.match(v, { name: 'v1alpha1', served: true, storage: true, subresources: { status: {} } })
  t.same((v?.additionalPrinterColumns as Array<{ name: string }>).map((c) => c.name), ['Target', 'Desired', 'Reason', 'Ready', 'Mode', 'Age'])
  const mode = ((((v?.schema as { openAPIV3Schema: StructuralSchema }).openAPIV3Schema.properties?.spec?.properties?.remediation)?.properties)?.mode)
  t.same(mode?.enum, ['Off', 'DryRun', 'Enforce'], 'Off survives a YAML 1.1 reader such as kubectl')
})

t.test('toStructural rewrites what zod emits', async (t) => {
  const conv = (s: z.ZodType): StructuralSchema => toStructural(z.toJSONSchema(s, { target: 'openapi-3.0', io: 'input' }))
  t.same(conv(z.union([z.literal('a'), z.literal('b')])), { type: 'string', enum: ['a', 'b'] }, 'union of literals -> enum')
  t.same(conv(z.string().nullable()), { type: 'string', nullable: true }, 'nullable')
  t.same(conv(z.strictObject({ a: z.string() })), { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }, 'no additionalProperties')
  t.same(conv(z.record(z.string(), z.number())), { type: 'object', additionalProperties: { type: 'number' } }, 'maps')
  t.same(conv(z.number().int()), { type: 'integer' }, 'safe-integer bounds dropped')
  t.same(conv(z.object({}).loose()), { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, 'free-form object kept')
  t.same(toStructural({ description: 'anything' }), { description: 'anything', 'x-kubernetes-preserve-unknown-fields': true })
  t.throws(() => conv(z.union([z.string(), z.number()])), SchemaConversionError, 'mixed unions cannot be expressed')
  t.throws(() => toStructural({ type: 'object', properties: { a: { $ref: '#/x' } } }), /\(root\)\.a: \$ref/)
  t.throws(() => toStructural({ type: 'string', if: {} }), /if is not allowed/)
})

t.test('printer columns: Target, Desired, Reason, Ready, Mode, Age, each naming a field the schema has', async (t) => {
  const crd = policyCrd() as { spec: { versions: Array<{ additionalPrinterColumns: Array<{ name: string; jsonPath: string; type: string }> }> } }
  const columns = crd.spec.versions[0]?.additionalPrinterColumns ?? []
  t.same(columns.map((c) => c.name), ['Target', 'Desired', 'Reason', 'Ready', 'Mode', 'Age'])
  const { root } = openApi()
  for (const c of columns) {
    if (c.jsonPath === '.metadata.creationTimestamp') continue
    // A filter such as conditions[?(@.type=="Ready")].status picks array items: walk into the items' schema.
    const steps = c.jsonPath.slice(1).replace(/\[\?\(@\.(\w+)=="[^"]+"\)\]/g, '[].$1-filter').split('.')
    let node: StructuralSchema | undefined = root
    for (const step of steps) {
      if (step.endsWith('-filter')) continue
      const [name, arr] = step.split('[]')
      node = node?.properties?.[name ?? '']
      if (arr !== undefined) node = node?.items
    }
    t.ok(node !== undefined, `${c.name}: ${c.jsonPath} is in the schema`)
    if (c.type === 'integer') t.equal(node?.type, 'integer', `${c.name} is an integer`)
  }
  const ready = columns.find((c) => c.name === 'Ready')
  t.equal(ready?.jsonPath, '.status.conditions[?(@.type=="Ready")].status', 'Ready is the Ready condition the status writer sets')
})
