import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { parseHeaderFlag, parseHeaderFlags, storeFromFlags } from './store-flags.js'

const dir = mkdtempSync(join(tmpdir(), 'foresight-store-flags-'))
const tokenFile = join(dir, 'token')
writeFileSync(tokenFile, 't0ken\n')

t.test("--header takes curl's 'Name: value'", async (t) => {
  t.same(parseHeaderFlag('X-Scope-OrgID: team-a'), ['X-Scope-OrgID', 'team-a'])
  t.same(parseHeaderFlag('X-Scope-OrgID:team-a|team-b '), ['X-Scope-OrgID', 'team-a|team-b'], 'spaces around the value are not part of it')
  t.same(parseHeaderFlag('X-Query: a:b'), ['X-Query', 'a:b'], 'only the first colon separates')
  t.same(parseHeaderFlags(['A: 1', 'B: 2']), { A: '1', B: '2' })
})

t.test('malformed headers are refused precisely, without echoing the value', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['X-Scope-OrgID=s3cret'], /^--header: expected "Name: value", such as --header 'X-Scope-OrgID: team-a' \(no colon in the 20 characters given\)$/],
    [[': s3cret'], /^--header: the header name is empty$/],
    [['X Scope: s3cret'], /^--header: "X Scope" is not a valid header name/],
    [['Host: s3cret'], /^--header: Host is set by the HTTP client/],
    [['Authorization: Bearer s3cret'], /^--header Authorization: credentials on the command line .* use --bearer-token-file, or --username with --password-file$/],
    [['X-Scope-OrgID:   '], /^--header X-Scope-OrgID: the value is empty$/],
    [['X-Scope-OrgID: a', 'x-scope-orgid: s3cret'], /^--header: X-Scope-OrgID and x-scope-orgid given twice/],
  ]
  for (const [flags, message] of cases) {
    const err = t.throws(() => parseHeaderFlags(flags), { name: 'StoreFlagError' }, flags.join(' ')) as Error | undefined
    t.match(err?.message ?? '', message)
    t.notMatch(err?.message ?? '', /s3cret/)
  }
})

t.test('credentials come from files, one kind at a time, checked before any query', async (t) => {
  const base = { prometheus: 'http://vmauth:8427/prometheus' }
  const store = storeFromFlags({ ...base, header: ['X-Scope-OrgID: team-a'], bearerTokenFile: tokenFile })
  t.same(store.headers, { 'X-Scope-OrgID': 'team-a' })
  t.equal(typeof store.bearerToken === 'function' ? store.bearerToken() : store.bearerToken, 't0ken', 'read from the file, trimmed')
  const basic = storeFromFlags({ ...base, username: 'reader', passwordFile: tokenFile })
  t.equal(typeof basic.basicAuth?.password === 'function' ? basic.basicAuth.password() : undefined, 't0ken')
  t.throws(() => storeFromFlags({ ...base, username: 'reader' }), /^--username and --password-file go together$/)
  t.throws(() => storeFromFlags({ ...base, username: 'reader', passwordFile: tokenFile, bearerTokenFile: tokenFile }), /give one/)
  t.throws(() => storeFromFlags({ ...base, bearerTokenFile: join(dir, 'missing') }), /^--bearer-token-file: unable to read .*missing$/)
  t.throws(() => storeFromFlags({ ...base, caFile: join(dir, 'missing') }), /^--ca-file: unable to read/)
  t.throws(() => storeFromFlags({ prometheus: 'vmauth:8427' }), /^--prometheus: not an http\(s\) URL/)
})
