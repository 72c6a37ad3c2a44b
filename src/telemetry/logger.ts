import { pino, type Logger } from 'pino'

/**
 * The one root logger; components take children of it. Servers log to stdout; one-shot commands whose stdout is
 * their report (explain, backtest) log to stderr.
 */
export function createLogger(level: string, to: 'stdout' | 'stderr' = 'stdout'): Logger {
  const options = { level, base: { app: 'foresight' }, timestamp: pino.stdTimeFunctions.isoTime }
  return to === 'stderr' ? pino(options, pino.destination({ dest: 2, sync: true })) : pino(options)
}
