import { pino, type Logger } from 'pino'

/** The one root logger; components take children of it. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { app: 'foresight' }, timestamp: pino.stdTimeFunctions.isoTime })
}
