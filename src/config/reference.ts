import type { z } from 'zod'
import { configLeaves, envName } from './leaves.js'

const REFERENCE_START = '<!-- config-reference:start -->'
const REFERENCE_END = '<!-- config-reference:end -->'

/** The README's configuration table, generated from the schema so the two cannot disagree. */
export function configReference(schema: z.ZodType): string {
  const rows = configLeaves(schema).map((leaf) => {
    const type = leaf.enum !== undefined ? leaf.enum.map((e) => `\`${e}\``).join(' \\| ') : leaf.type
    const def = leaf.default === undefined ? '' : `\`${JSON.stringify(leaf.default)}\``
    return `| \`${leaf.path.join('.')}\` | \`${envName(leaf.path)}\` | ${type} | ${def} | ${leaf.description} |`
  })
  return ['| key (`--set key=value`) | environment | type | default | meaning |', '|---|---|---|---|---|', ...rows].join('\n')
}

/** Replaces the generated block between the markers in `doc`. */
export function withReference(doc: string, table: string): string {
  const start = doc.indexOf(REFERENCE_START)
  const end = doc.indexOf(REFERENCE_END)
  if (start === -1 || end < start) throw new Error('the document has no configuration reference markers')
  return `${doc.slice(0, start + REFERENCE_START.length)}\n${table}\n${doc.slice(end)}`
}
