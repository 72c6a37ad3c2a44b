import { pino, type Logger, type LoggerOptions } from 'pino'

/**
 * The options of every root logger. Levels are written by name (`"level":"info"`), not pino's numbers, so log
 * pipelines and people reading `kubectl logs` need no table to tell a warning from an error.
 */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    base: { app: 'foresight' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  }
}

/**
 * The one root logger; components take children of it. Servers log to stdout; one-shot commands whose stdout is
 * their report (explain, backtest) log to stderr.
 */
export function createLogger(level: string, to: 'stdout' | 'stderr' = 'stdout'): Logger {
  const options = loggerOptions(level)
  return to === 'stderr' ? pino(options, pino.destination({ dest: 2, sync: true })) : pino(options)
}
