/**
 * The flags `foresight backtest` and `backtest --remediation` share to reach a Prometheus-compatible store: the
 * URL (with the store's path prefix), extra headers such as a tenant, and credentials from files.
 */
import { readFileSync } from 'node:fs'
import type { Logger } from 'pino'
import { duplicateHeaderNames, headerNameProblem, headerValueProblem, isAuthorization } from '../config/http-headers.js'
import { createPrometheusSource } from '../prometheus/source.js'

export interface StoreFlags {
  prometheus: string
  /** `Name: value`, repeatable. */
  header?: readonly string[]
  bearerTokenFile?: string
  username?: string
  passwordFile?: string
  caFile?: string
}

export class StoreFlagError extends Error {
  override name = 'StoreFlagError'
}

/** The --prometheus flag, checked before anything is read. */
export function checkPrometheusUrl(url: string): void {
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    // Never echoed as given: a slip such as user:pass@host would print the password.
    throw new StoreFlagError(`--prometheus: not an http(s) URL (${URL.canParse(url) ? `scheme ${new URL(url).protocol}` : 'does not parse'})`)
  }
}

/**
 * `--header 'X-Scope-OrgID: team-a'` (curl's form) -> ['X-Scope-OrgID', 'team-a']. A value is never echoed in an
 * error: it may be a secret.
 */
export function parseHeaderFlag(text: string): [string, string] {
  const colon = text.indexOf(':')
  if (colon < 0) throw new StoreFlagError(`--header: expected "Name: value", such as --header 'X-Scope-OrgID: team-a' (no colon in the ${text.length} characters given)`)
  const name = text.slice(0, colon).trim()
  const value = text.slice(colon + 1).trim()
  const nameProblem = headerNameProblem(name)
  if (nameProblem !== undefined) throw new StoreFlagError(`--header: ${nameProblem}`)
  if (isAuthorization(name)) throw new StoreFlagError('--header Authorization: credentials on the command line are visible to every user of the machine; use --bearer-token-file, or --username with --password-file')
  const valueProblem = headerValueProblem(value)
  if (valueProblem !== undefined) throw new StoreFlagError(`--header ${name}: ${valueProblem}`)
  return [name, value]
}

export function parseHeaderFlags(texts: readonly string[]): Record<string, string> {
  const pairs = texts.map(parseHeaderFlag)
  const dups = duplicateHeaderNames(pairs.map(([n]) => n))
  if (dups.length > 0) throw new StoreFlagError(`--header: ${dups.join(', ')} given twice (header names are case-insensitive)`)
  return Object.fromEntries(pairs)
}

/** A secret file's content, read at each request so a rotated file is picked up; a failure names the flag. */
function secretReader(file: string, flag: string): () => string {
  const read = (): string => {
    try {
      return readFileSync(file, 'utf8').trim()
    } catch {
      throw new StoreFlagError(`${flag}: unable to read ${file}`)
    }
  }
  read() // a missing file fails before any query
  return read
}

type StoreOptions = Omit<Parameters<typeof createPrometheusSource>[0], 'log'>

/** The client options the flags describe; every flag is checked here, before a policy is read or a query sent. */
export function storeFromFlags(o: StoreFlags): StoreOptions {
  checkPrometheusUrl(o.prometheus)
  const headers = parseHeaderFlags(o.header ?? [])
  if ((o.username === undefined) !== (o.passwordFile === undefined)) throw new StoreFlagError('--username and --password-file go together')
  if (o.username !== undefined && o.bearerTokenFile !== undefined) throw new StoreFlagError('--bearer-token-file and --username are two kinds of credentials: give one')
  const token = o.bearerTokenFile !== undefined ? secretReader(o.bearerTokenFile, '--bearer-token-file') : undefined
  const password = o.passwordFile !== undefined ? secretReader(o.passwordFile, '--password-file') : undefined
  if (o.caFile !== undefined) secretReader(o.caFile, '--ca-file')
  return {
    url: o.prometheus,
    headers,
    ...(token !== undefined ? { bearerToken: token } : {}),
    ...(o.username !== undefined && password !== undefined ? { basicAuth: { username: o.username, password } } : {}),
    ...(o.caFile !== undefined ? { caFile: o.caFile } : {}),
  }
}

/** The store both backtests read. */
export function prometheusFromFlags(store: StoreOptions, log: Logger): ReturnType<typeof createPrometheusSource> {
  return createPrometheusSource({ ...store, log })
}
