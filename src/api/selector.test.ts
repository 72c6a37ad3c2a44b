import t from 'tap'
import { allowedValues, formatSelector, matches, parseSelector, SelectorError } from './selector.js'

const labels = { 'foresight.dev/policy': 'web', tier: 'frontend', env: '', replicas: '5' }

// [selector, matches `labels`?]
const valid: Array<[string, boolean]> = [
  ['', true],
  ['   ', true],
  ['foresight.dev/policy=web', true],
  ['foresight.dev/policy==web', true],
  ['foresight.dev/policy = web', true],
  ['foresight.dev/policy=api', false],
  ['foresight.dev/policy!=api', true],
  ['foresight.dev/policy!=web', false],
  ['missing!=x', true],
  ['tier in (frontend,backend)', true],
  ['tier in (backend)', false],
  ['tier in ( backend , frontend )', true],
  ['tier notin (frontend)', false],
  ['tier notin (backend)', true],
  ['missing notin (a)', true],
  ['missing in (a)', false],
  ['tier', true],
  ['missing', false],
  ['!missing', true],
  ['!tier', false],
  ['env=', true],
  ['env', true],
  ['tier=', false],
  ['tier==', false],
  ['env==', true],
  ['replicas>4', true],
  ['replicas>5', false],
  ['replicas<6', true],
  ['tier>1', false],
  ['foresight.dev/policy=web,tier=frontend', true],
  ['foresight.dev/policy=web,tier=backend', false],
  ['foresight.dev/policy=web, !missing, tier in (frontend), replicas > 1', true],
  ['a.b-c_d=x.y-z_1', false],
  ['example.com/a=A1', false],
]
for (const [input, want] of valid) {
  t.test(`valid: ${JSON.stringify(input)}`, async (t) => {
    const sel = parseSelector(input)
    t.equal(matches(sel, labels), want)
    t.equal(formatSelector(parseSelector(formatSelector(sel))), formatSelector(sel), 'canonical text is stable')
  })
}

// [selector, a fragment the error message must contain]
const invalid: Array<[string, string]> = [
  ['=web', 'at position 0: expected a label key, found "="'],
  ['tier=a=b', 'at position 6: expected "," or end of input, found "="'],
  ['tier in frontend', 'expected "(", found "frontend"'],
  ['tier in (a', 'expected "," or ")", found end of input'],
  ['tier in ()', '"in" needs at least one value'],
  ['tier notin ()', '"notin" needs at least one value'],
  ['tier (a)', 'expected an operator'],
  ['tier foo', 'expected an operator'],
  ['tier,', 'expected a label key, found end of input'],
  [',tier', 'expected a label key, found ","'],
  ['tier,,env', 'expected a label key, found ","'],
  ['!', 'expected a label key, found end of input'],
  ['!tier=x', 'expected "," or end of input, found "="'],
  ['-bad=x', 'invalid label key "-bad"'],
  ['bad-=x', 'invalid label key "bad-"'],
  ['Upper.Case/name=x', 'invalid label key "Upper.Case/name"'],
  ['/name=x', 'invalid label key "/name"'],
  ['a/b/c=x', 'invalid label key "a/b/c"'],
  ['k'.repeat(64) + '=x', 'the name must be 1-63 characters'],
  ['tier=-frontend', 'invalid label value "-frontend"'],
  ['tier=' + 'v'.repeat(64), 'invalid label value'],
  ['tier in (a,-b)', 'invalid label value "-b"'],
  ['replicas>x', 'expected an integer, found "x"'],
  ['replicas>', 'expected an integer, found end of input'],
  ['replicas>1.5', 'expected an integer'],
  ['in=x', 'expected a label key, found "in"'],
  ['tier=a b', 'expected "," or end of input, found "b"'],
  ['tier=(a)', 'expected a label value, found "("'],
  ['tier!x', 'expected an operator'],
]
for (const [input, fragment] of invalid) {
  t.test(`invalid: ${JSON.stringify(input)}`, async (t) => {
    const err = t.throws(() => parseSelector(input))
    t.type(err, SelectorError)
    t.match((err as Error).message, `invalid label selector "${input}"`)
    t.match((err as Error).message, fragment)
  })
}

t.test('sets are deduplicated and sorted', async (t) => {
  t.same(parseSelector('tier in (b,a,b)'), [{ key: 'tier', operator: 'in', values: ['a', 'b'] }])
})

// [selector, the values foresight.dev/policy may take (undefined: not narrowed)]
const allowed: Array<[string, string[] | undefined]> = [
  ['', undefined],
  ['foresight.dev/policy=web', ['web']],
  ['foresight.dev/policy==web,tier=frontend', ['web']],
  ['foresight.dev/policy in (web,api)', ['api', 'web']],
  ['foresight.dev/policy in (web,api),foresight.dev/policy in (api,x)', ['api']],
  ['foresight.dev/policy=web,foresight.dev/policy=api', []],
  ['foresight.dev/policy!=web', undefined],
  ['foresight.dev/policy notin (web)', undefined],
  ['foresight.dev/policy', undefined],
  ['!foresight.dev/policy', undefined],
  ['foresight.dev/policy=', ['']],
  ['tier=frontend', undefined],
]
for (const [input, want] of allowed) {
  t.test(`allowed policy values of "${input}"`, async (t) => {
    const got = allowedValues(parseSelector(input), 'foresight.dev/policy')
    t.same(got === undefined ? undefined : [...got].sort(), want)
  })
}

t.test('errors quote long input cut after 200 characters, whatever part of it is wrong', async (t) => {
  const long = 'k'.repeat(5_000)
  const hostile: Array<[string, string]> = [
    ['a long selector broken at its end', `tier=a,${'x=y,'.repeat(2_000)}`],
    ['a long key', `${long}=x`],
    ['a long prefix', `${long}/name=x`],
    ['a long value', `tier=${long}`],
    ['a long value in a set', `tier in (a,${long})`],
    ['a long unexpected token', `tier=a ${long}`],
    ['a long integer that is not one', `replicas>${long}`],
    ['an operator without values', `${long} in ()`],
  ]
  for (const [name, input] of hostile) {
    const err = t.throws(() => parseSelector(input), name)
    t.type(err, SelectorError, name)
    const message = (err as Error).message
    t.ok(message.length < 700, `${name}: ${message.length} characters`)
    t.match(message, `... (${input.length} characters)`, `${name}: says how long the input was`)
  }
})
