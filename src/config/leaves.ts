import { z } from 'zod'

/** One settable value of a configuration schema, as the env, flags and docs see it. */
export interface ConfigLeaf {
  path: readonly string[]
  type: 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object'
  enum?: readonly string[]
  description: string
  default?: unknown
}

interface JsonSchemaNode {
  type?: string | string[]
  properties?: Record<string, JsonSchemaNode>
  anyOf?: JsonSchemaNode[]
  oneOf?: JsonSchemaNode[]
  enum?: unknown[]
  const?: unknown
  description?: string
  default?: unknown
}

// Walking the generated JSON Schema rather than zod internals keeps this stable across zod releases.
export function configLeaves(schema: z.ZodType): ConfigLeaf[] {
  const root = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchemaNode
  const out: ConfigLeaf[] = []
  walk(root, [], out)
  return out
}

function walk(node: JsonSchemaNode, path: string[], out: ConfigLeaf[]): void {
  const variants = node.anyOf ?? node.oneOf
  if (variants !== undefined) {
    const seen = new Map<string, number>()
    for (const v of variants) {
      const sub: ConfigLeaf[] = []
      walk(v, path, sub)
      for (const leaf of sub) {
        const key = leaf.path.join('.')
        const at = seen.get(key)
        if (at === undefined) { seen.set(key, out.length); out.push(leaf); continue }
        // A discriminator (`kind`) is one constant per variant: the leaf accepts all of them.
        const first = out[at]
        if (first?.enum !== undefined && leaf.enum !== undefined) out[at] = { ...first, enum: [...new Set([...first.enum, ...leaf.enum])] }
      }
    }
    return
  }
  if (node.properties !== undefined) {
    for (const [key, child] of Object.entries(node.properties)) walk(child, [...path, key], out)
    return
  }
  const type = Array.isArray(node.type) ? node.type[0] : node.type
  const enumValues = node.enum ?? (node.const !== undefined ? [node.const] : undefined)
  out.push({
    path,
    type: type === 'number' || type === 'integer' || type === 'boolean' || type === 'array' || type === 'object' ? type : 'string',
    ...(enumValues !== undefined ? { enum: enumValues.map(String) } : {}),
    description: node.description ?? '',
    ...(node.default !== undefined ? { default: node.default } : {}),
  })
}

/** FORESIGHT_AUTH__REQUEST_HEADER__ALLOWED_NAMES for auth.requestHeader.allowedNames */
export function envName(path: readonly string[]): string {
  return 'FORESIGHT_' + path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('__')
}

/** Turns the text of an env var or flag into the JSON value the schema expects; the schema then validates it. */
export function coerce(leaf: ConfigLeaf, raw: string): unknown {
  switch (leaf.type) {
    case 'number':
    case 'integer': {
      // Decimal only: Number() would also take 0x1F, 0b11 and 1e3, which nobody means for a port or a timeout.
      // Anything else stays a string, and the schema says what it expected.
      return /^\s*[+-]?(\d+\.?\d*|\.\d+)\s*$/.test(raw) ? Number(raw) : raw
    }
    case 'boolean':
      return raw === 'true' ? true : raw === 'false' ? false : raw
    case 'array':
      return raw === '' ? [] : raw.split(',').map((s) => s.trim())
    case 'object': {
      // A mapping (such as source.headers) as JSON; anything else stays a string and the schema says what it expected.
      if (raw.trim() === '') return {}
      try {
        return JSON.parse(raw) as unknown
      } catch {
        return raw
      }
    }
    default:
      return raw
  }
}
