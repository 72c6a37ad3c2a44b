import t from 'tap'
import { pino } from 'pino'
import { loggerOptions } from './logger.js'

t.test('log lines carry the level by name, with the app and an ISO time', async (t) => {
  const lines: Array<Record<string, unknown>> = []
  const log = pino(loggerOptions('debug'), { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>) } })
  log.debug({ a: 1 }, 'first')
  log.child({ component: 'engine' }).warn('second')
  log.error(new Error('boom'), 'third')
  t.same(lines.map((l) => l.level), ['debug', 'warn', 'error'])
  t.match(lines[1], { app: 'foresight', component: 'engine', msg: 'second' })
  t.match(lines[0]?.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  t.match(lines[2], { err: { message: 'boom' } }, 'errors still serialized')
})

t.test('the level threshold still applies', async (t) => {
  const lines: string[] = []
  const log = pino(loggerOptions('warn'), { write: (line: string) => { lines.push(line) } })
  log.info('hidden')
  log.warn('shown')
  t.equal(lines.length, 1)
  t.match(lines[0], /"level":"warn"/)
})
