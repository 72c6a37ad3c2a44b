import { stringify } from 'yaml'
import { z } from 'zod'
import { GROUP, KIND, PLURAL, VERSION, policySpecSchema, policyStatusSchema } from './schema.js'

// The CustomResourceDefinition of ForesightPolicy, derived from the zod schema so deploy/ can never drift from
// what the code validates. z.toJSONSchema speaks JSON Schema; the apiserver wants a *structural* OpenAPI v3 schema,
// which is stricter, so the output is rewritten here and anything that cannot be expressed fails the generation.

/** Where the generated CRD lives, relative to the package root. */
export const CRD_PATH = 'deploy/base/crd.yaml'
export const REGENERATE_COMMAND = 'node --import tsx hack/gen-crd.ts'

/** The subset of apiextensions.k8s.io/v1 JSONSchemaProps that the generator emits. */
export interface StructuralSchema {
  type?: 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean'
  description?: string
  default?: unknown
  nullable?: boolean
  properties?: Record<string, StructuralSchema>
  required?: string[]
  additionalProperties?: StructuralSchema
  items?: StructuralSchema
  enum?: unknown[]
  format?: string
  pattern?: string
  minimum?: number
  maximum?: number
  exclusiveMinimum?: boolean
  exclusiveMaximum?: boolean
  minLength?: number
  maxLength?: number
  minItems?: number
  maxItems?: number
  uniqueItems?: boolean
  multipleOf?: number
  'x-kubernetes-preserve-unknown-fields'?: boolean
}

type JsonNode = Record<string, unknown>

const TYPES = new Set(['object', 'array', 'string', 'number', 'integer', 'boolean'])
// Copied through unchanged; everything else is either rewritten below or rejected.
const PLAIN_KEYS = new Set(['description', 'default', 'nullable', 'format', 'pattern', 'minLength', 'maxLength', 'minItems', 'maxItems',
  'uniqueItems', 'multipleOf', 'exclusiveMinimum', 'exclusiveMaximum'])

export class SchemaConversionError extends Error {
  override name = 'SchemaConversionError'
}

/** Rewrites one node of z.toJSONSchema output (target openapi-3.0) into a structural schema. */
export function toStructural(input: unknown, path = '(root)'): StructuralSchema {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new SchemaConversionError(`${path}: not a schema object`)
  const node = flattenUnion(input as JsonNode, path)
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(node)) {
    switch (key) {
      case '$schema':
      case 'title':
        break
      case 'type':
        if (typeof value !== 'string' || !TYPES.has(value)) throw new SchemaConversionError(`${path}: type ${JSON.stringify(value)} has no structural equivalent`)
        out.type = value
        break
      case 'const':
        out.enum = [value]
        break
      case 'enum':
        out.enum = [...(value as unknown[])]
        break
      case 'minimum':
      case 'maximum':
        // z.number().int() bounds every integer by the safe-integer range; that says nothing to a cluster user.
        if (Math.abs(value as number) !== Number.MAX_SAFE_INTEGER) out[key] = value
        break
      case 'properties': {
        if (Object.keys(value as JsonNode).length === 0) break
        const props: Record<string, StructuralSchema> = {}
        for (const [name, child] of Object.entries(value as JsonNode)) props[name] = toStructural(child, `${path}.${name}`)
        out.properties = props
        break
      }
      case 'required':
        if ((value as string[]).length > 0) out.required = [...(value as string[])]
        break
      case 'items':
        if (Array.isArray(value)) throw new SchemaConversionError(`${path}: tuple items are not structural`)
        out.items = toStructural(value, `${path}[]`)
        break
      case 'additionalProperties':
        // Any value at all (a loose object): the apiserver must keep unknown fields instead of pruning them.
        if (value === true || (typeof value === 'object' && value !== null && Object.keys(value).length === 0)) {
          out['x-kubernetes-preserve-unknown-fields'] = true
          break
        }
        // The apiserver rejects additionalProperties beside properties, and `false` is what pruning already does.
        if (value === false || hasProperties(node)) break
        out.additionalProperties = toStructural(value, `${path}.*`)
        break
      case 'propertyNames':
        // Map keys are always strings in Kubernetes; any tighter key rule would be silently lost, so refuse it.
        if (!isPlainString(value)) throw new SchemaConversionError(`${path}: propertyNames cannot be expressed`)
        break
      default:
        if (!PLAIN_KEYS.has(key)) throw new SchemaConversionError(`${path}: ${key} is not allowed in a structural schema`)
        out[key] = value
    }
  }
  const isEmpty = Object.keys(node).every((k) => k === 'description' || k === 'default')
  if (isEmpty) out['x-kubernetes-preserve-unknown-fields'] = true
  else if (out.type === undefined) throw new SchemaConversionError(`${path}: every node needs a type`)
  // An object with nothing declared inside would have all its content pruned by the apiserver.
  if (out.type === 'object' && out.properties === undefined && out.additionalProperties === undefined) out['x-kubernetes-preserve-unknown-fields'] = true
  return out
}

function hasProperties(node: JsonNode): boolean {
  return typeof node.properties === 'object' && node.properties !== null && Object.keys(node.properties).length > 0
}

function isPlainString(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false
  return Object.entries(value).every(([k, v]) => k === 'type' && v === 'string')
}

/**
 * zod emits anyOf/oneOf for unions and nullables; the apiserver only accepts those as pure value checks, so
 * unions of enums become one enum, a null branch becomes `nullable`, and a lone remaining branch is inlined.
 */
function flattenUnion(node: JsonNode, path: string): JsonNode {
  const branches = (node.anyOf ?? node.oneOf) as JsonNode[] | undefined
  let flat: JsonNode = node
  if (branches !== undefined) {
    const outer = Object.fromEntries(Object.entries(node).filter(([k]) => k !== 'anyOf' && k !== 'oneOf'))
    const nonNull = branches.filter((b) => !(b.type === 'null' || (Array.isArray(b.enum) && b.enum.length === 1 && b.enum[0] === null)))
    const nullable = nonNull.length < branches.length
    let merged: JsonNode
    const only = nonNull[0]
    if (nonNull.length === 1 && only !== undefined) {
      merged = { ...flattenUnion(only, path) }
    } else {
      const parts = nonNull.map((b) => flattenUnion(b, path))
      const types = new Set(parts.map((p) => p.type))
      const values = parts.flatMap((p): unknown[] => (Array.isArray(p.enum) ? (p.enum as unknown[]) : 'const' in p ? [p.const] : [undefined]))
      if (types.size !== 1 || values.includes(undefined)) throw new SchemaConversionError(`${path}: only unions of literals of one type can be expressed`)
      merged = { type: parts[0]?.type, enum: [...new Set(values)] }
    }
    flat = { ...merged, ...outer, ...(nullable ? { nullable: true } : {}) }
  }
  if (Array.isArray(flat.type)) {
    const types = (flat.type as string[]).filter((t) => t !== 'null')
    if (types.length !== 1) throw new SchemaConversionError(`${path}: type ${JSON.stringify(flat.type)} has no structural equivalent`)
    flat = { ...flat, type: types[0], ...(types.length < (flat.type as string[]).length ? { nullable: true } : {}) }
  }
  for (const forbidden of ['$ref', 'allOf', 'not', '$defs', 'definitions']) {
    if (forbidden in flat) throw new SchemaConversionError(`${path}: ${forbidden} is not allowed in a structural schema`)
  }
  return flat
}

function openApiOf(schema: z.ZodType, description: string): StructuralSchema {
  // io 'input': fields with defaults are optional for the user and defaulted by the apiserver.
  const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'throw', reused: 'inline', cycles: 'throw' })
  return { description, ...toStructural(json) }
}

/** The apiextensions.k8s.io/v1 CustomResourceDefinition of ForesightPolicy. */
export function policyCrd(): Record<string, unknown> {
  const singular = KIND.toLowerCase()
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${PLURAL}.${GROUP}`, labels: { 'app.kubernetes.io/name': 'foresight' } },
    spec: {
      group: GROUP,
      names: { kind: KIND, listKind: `${KIND}List`, plural: PLURAL, singular, shortNames: ['fpol'], categories: ['foresight'] },
      scope: 'Namespaced',
      versions: [{
        name: VERSION,
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: 'Target', type: 'string', jsonPath: '.spec.scaleTargetRef.name', description: 'Scaled workload' },
          { name: 'Desired', type: 'integer', jsonPath: '.status.desiredReplicas', description: 'Replicas last recommended' },
          { name: 'Reason', type: 'string', jsonPath: '.status.reason', description: 'How the served replica count was made (Predicted, ColdStart, StaleValue, Fallback, NoData)' },
          { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', description: 'A replica count is served' },
          { name: 'Mode', type: 'string', jsonPath: '.spec.remediation.mode', description: 'Remediation mode' },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
        schema: {
          openAPIV3Schema: {
            description: `${KIND}: predictive scaling and pod remediation for one workload`,
            type: 'object',
            required: ['spec'],
            properties: {
              apiVersion: { type: 'string' },
              kind: { type: 'string' },
              // The apiserver validates metadata itself and forbids anything but name/generateName rules here.
              metadata: { type: 'object' },
              spec: openApiOf(policySpecSchema, 'What to forecast and how to scale and heal the workload'),
              status: openApiOf(policyStatusSchema, 'Written by Foresight: the last recommendation and conditions'),
            },
          },
        },
      }],
    },
  }
}

/** The file content of deploy/base/crd.yaml. */
export function policyCrdYaml(): string {
  const header = `# Generated from src/policy/schema.ts by \`${REGENERATE_COMMAND}\`: do not edit by hand.\n`
  // kubectl reads YAML 1.1, where a bare Off is the boolean false: writing 1.1 quotes such strings.
  return header + stringify(policyCrd(), { version: '1.1', lineWidth: 0 })
}
