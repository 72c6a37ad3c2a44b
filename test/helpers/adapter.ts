import { startAdapter, type RunningAdapter } from '../../src/api/api-server.js'
import { buildAdapterDeps } from '../../src/commands/adapter.js'
import { loadConfig } from '../../src/config/load.js'
import { adapterConfigSchema } from '../../src/config/adapter-config.js'
import { createLogger } from '../../src/telemetry/logger.js'

/** Starts the real adapter (same wiring as the CLI) on free ports with `--set` style overrides; resolves once it has data. */
export async function startTestAdapter(set: readonly string[]): Promise<RunningAdapter> {
  const cfg = loadConfig(adapterConfigSchema, { env: {}, set: ['listen.port=0', 'metrics.port=0', `logLevel=${process.env.TEST_LOG_LEVEL ?? 'silent'}`, ...set] })
  const adapter = await startAdapter(await buildAdapterDeps(cfg, createLogger(cfg.logLevel)))
  try {
    await adapter.ready
  } catch (err) {
    await adapter.close()
    throw err
  }
  return adapter
}
