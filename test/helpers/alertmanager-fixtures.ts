import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'alertmanager')

/** The raw text of an Alertmanager webhook payload fixture, as it would arrive on the wire. */
export function alertFixture(name: string): string {
  return readFileSync(join(DIR, `${name}.json`), 'utf8')
}
