import { readFileSync } from 'node:fs'
import type { Logger } from 'pino'
import type { PrometheusSourceConfig } from '../config/adapter-config.js'
import { createPrometheusSource, type PrometheusSource } from './source.js'

/** The Prometheus source as configured; secrets are read from files per request so rotation needs no restart. */
export function prometheusFromConfig(cfg: PrometheusSourceConfig, log: Logger): PrometheusSource {
  const tokenFile = cfg.bearerTokenFile
  const passwordFile = cfg.passwordFile
  const headers: Record<string, string | (() => string)> = { ...cfg.headers }
  for (const [name, file] of Object.entries(cfg.headerFiles)) headers[name] = () => readSecret(file, `source.headerFiles.${name}`)
  const { source } = createPrometheusSource({
    url: cfg.url,
    timeoutMs: cfg.timeoutMs,
    maxInFlight: cfg.maxConcurrentQueries,
    maxGroupSize: cfg.maxGroupSize,
    log: log.child({ component: 'prometheus' }),
    ...(tokenFile !== undefined ? { bearerToken: () => readSecret(tokenFile, 'source.bearerTokenFile') } : {}),
    ...(cfg.username !== undefined && passwordFile !== undefined ? { basicAuth: { username: cfg.username, password: () => readSecret(passwordFile, 'source.passwordFile') } } : {}),
    ...(cfg.caFile !== undefined ? { caFile: cfg.caFile } : {}),
    headers,
  })
  return source
}

/**
 * A secret file's content. The failure names the setting, not the path or errno: it becomes the policy's data
 * error, which policy authors see in its status.
 */
function readSecret(file: string, setting: string): string {
  try {
    return readFileSync(file, 'utf8').trim()
  } catch {
    throw new Error(`unable to read the Prometheus credentials (${setting})`)
  }
}
