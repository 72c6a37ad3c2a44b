import { parsePolicy } from '../policy/validate.js'

// Defaulting for ForesightPolicy: the JSON Patch (RFC 6902) that writes the schema's defaults into the stored
// object, so `kubectl get -o yaml` shows every value the engine will use and a later default change in a new
// release does not silently change running policies.

export type JsonPatchOp = { op: 'add'; path: string; value: unknown }

type Json = Record<string, unknown>

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/** RFC 6901 escaping of one reference token. */
export function pointerToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1')
}

/**
 * `add` operations for every field the schema defaults and the submitted spec leaves out; nothing else is touched
 * (no replace, no remove: values the user wrote are stored as written). An invalid policy gets no patch: the
 * validating webhook refuses it with the full list of problems.
 */
export function defaultingPatch(submitted: unknown): JsonPatchOp[] {
  if (!isObject(submitted) || !isObject(submitted.spec)) return []
  // With generateName the apiserver assigns the name after mutating admission; the defaults do not depend on it.
  const meta = isObject(submitted.metadata) ? submitted.metadata : {}
  const named = typeof meta.name === 'string' && meta.name !== '' ? submitted : { ...submitted, metadata: { ...meta, name: 'unnamed' } }
  const parsed = parsePolicy(named)
  if (!parsed.ok) return []
  return missing(submitted.spec, parsed.policy.spec, '/spec')
}

function missing(given: Json, defaulted: Json, at: string): JsonPatchOp[] {
  return Object.entries(defaulted).flatMap(([key, value]): JsonPatchOp[] => {
    if (value === undefined) return []
    const path = `${at}/${pointerToken(key)}`
    const current = given[key]
    if (current === undefined) return [{ op: 'add', path, value }]
    return isObject(current) && isObject(value) ? missing(current, value, path) : []
  })
}
