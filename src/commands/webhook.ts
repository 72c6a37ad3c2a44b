import type { Logger } from 'pino'
import { selfSignedServing } from '../auth/pki.js'
import type { WebhookConfig } from '../config/webhook-config.js'
import { loadKubeConfig } from '../kube/client.js'
import { readServingFiles } from '../server/tls.js'
import { kubeLookups, unavailableLookups } from '../webhook/lookups.js'
import { startWebhookServer, type RunningWebhook } from '../webhook/webhook-server.js'
import type { WebhookLookups } from '../webhook/types.js'

// `foresight webhook`: the admission webhook, built from its validated config.

interface WebhookOverrides {
  /** Cluster lookups to use instead of the ones the config describes (tests, local runs). */
  lookups?: WebhookLookups
}

function lookupsFor(cfg: WebhookConfig): WebhookLookups {
  if (!cfg.lookups.enabled) return unavailableLookups('cluster lookups are disabled (lookups.enabled=false)')
  try {
    return kubeLookups(loadKubeConfig(cfg.kubeconfig), cfg.lookups.timeoutMs)
  } catch (err) {
    throw new Error(`unable to start webhook: ${(err as Error).message}`, { cause: err })
  }
}

export async function startWebhook(cfg: WebhookConfig, log: Logger, overrides: WebhookOverrides = {}): Promise<RunningWebhook> {
  const lookups = overrides.lookups ?? lookupsFor(cfg)
  const { certFile, keyFile } = cfg.tls
  const serving = certFile !== undefined && keyFile !== undefined
    ? readServingFiles(certFile, keyFile)
    : selfSignedServing([...new Set([cfg.listen.host, 'localhost', '127.0.0.1'])])
  const webhook = await startWebhookServer({
    listen: cfg.listen,
    serving,
    ...(certFile !== undefined && keyFile !== undefined ? { certFiles: { certFile, keyFile, reloadIntervalMs: cfg.tls.reloadIntervalMs } } : {}),
    maxBodyBytes: cfg.maxBodyBytes,
    shutdownDelayMs: cfg.shutdownDelayMs,
    lookups,
    lookupTimeoutMs: cfg.lookups.timeoutMs,
    log,
  })
  log.info({ url: webhook.url, selfSigned: cfg.tls.selfSigned, lookups: cfg.lookups.enabled }, 'webhook listening')
  return webhook
}
