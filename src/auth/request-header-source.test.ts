import { pino } from 'pino'
import t from 'tap'
import type { RequestHeaderAuthConfig } from '../kube/auth-config.js'
import { RequestHeaderSource } from './request-header-source.js'

const base: RequestHeaderAuthConfig = { clientCAPem: 'CA-1', allowedNames: ['front-proxy-client'], usernameHeaders: ['X-Remote-User'], groupHeaders: ['X-Remote-Group'], extraHeaderPrefixes: ['X-Remote-Extra-'] }

function setup(): { source: RequestHeaderSource; installed: string[]; next: { value: RequestHeaderAuthConfig | Error }; failInstall: { on: boolean } } {
  const next: { value: RequestHeaderAuthConfig | Error } = { value: base }
  const installed: string[] = []
  const failInstall = { on: false }
  const source = new RequestHeaderSource({
    read: async () => {
      if (next.value instanceof Error) throw next.value
      return next.value
    },
    intervalMs: 60_000,
    log: pino({ level: 'silent' }),
  }, base)
  source.start((pem) => {
    if (failInstall.on) throw new Error('bad PEM')
    installed.push(pem)
  })
  return { source, installed, next, failInstall }
}

t.test('unchanged settings install nothing', async (t) => {
  const { source, installed } = setup()
  t.teardown(() => source.stop())
  t.equal(await source.check(), false)
  t.same(installed, [])
})

t.test('new allowed names apply without touching TLS; a new CA is installed first', async (t) => {
  const { source, installed, next } = setup()
  t.teardown(() => source.stop())
  next.value = { ...base, allowedNames: ['aggregator'] }
  t.equal(await source.check(), true)
  t.same(source.current().allowedNames, ['aggregator'])
  t.same(installed, [], 'same CA: no new TLS context')
  next.value = { ...base, clientCAPem: 'CA-2', allowedNames: ['aggregator'] }
  t.equal(await source.check(), true)
  t.same(installed, ['CA-2'])
  t.equal(source.current().clientCAPem, 'CA-2')
})

t.test('a CA TLS refuses, or a failed read, keeps every current setting', async (t) => {
  const { source, installed, next, failInstall } = setup()
  t.teardown(() => source.stop())
  failInstall.on = true
  next.value = { ...base, clientCAPem: 'broken', allowedNames: ['someone-else'] }
  t.equal(await source.check(), false)
  t.same(source.current(), base, 'the allowed names did not change without their CA')
  next.value = new Error('connection refused')
  t.equal(await source.check(), false)
  t.same(source.current(), base)
  failInstall.on = false
  next.value = { ...base, clientCAPem: 'CA-3' }
  t.equal(await source.check(), true, 'a later good update applies')
  t.same(installed, ['CA-3'])
})
