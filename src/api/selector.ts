// Kubernetes label selector grammar (the HPA sends metric.selector as ?labelSelector=...):
//   selector    := requirement ( "," requirement )*
//   requirement := "!" key | key [ ("=" | "==" | "!=") value | ("in" | "notin") "(" values ")" | (">" | "<") integer ]

type Operator = 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt'

export interface Requirement {
  readonly key: string
  readonly operator: Operator
  readonly values: readonly string[]
}

export type Selector = readonly Requirement[]

export class SelectorError extends Error {
  override name = 'SelectorError'
}

type TokenKind = 'ident' | '!' | '=' | '==' | '!=' | ',' | '(' | ')' | '>' | '<' | 'end'
interface Token { kind: TokenKind; text: string; pos: number }

const SYMBOLS: ReadonlyArray<[string, TokenKind]> = [['==', '=='], ['!=', '!='], ['=', '='], ['!', '!'], [',', ','], ['(', '('], [')', ')'], ['>', '>'], ['<', '<']]
const IDENT = /[^\s!=,()<>]+/y

function tokenize(input: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < input.length) {
    const ch = input[i] ?? ''
    if (/\s/.test(ch)) { i++; continue }
    const sym = SYMBOLS.find(([s]) => input.startsWith(s, i))
    if (sym !== undefined) {
      tokens.push({ kind: sym[1], text: sym[0], pos: i })
      i += sym[0].length
      continue
    }
    IDENT.lastIndex = i
    const m = IDENT.exec(input)
    const text = m?.[0] ?? ch
    tokens.push({ kind: 'ident', text, pos: i })
    i += text.length
  }
  tokens.push({ kind: 'end', text: '', pos: input.length })
  return tokens
}

const SHOWN_CHARS = 200

/** Input as quoted in an error: whole when short, cut after 200 characters (a URL may carry kilobytes). */
export function shown(text: string): string {
  return text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS)}... (${text.length} characters)` : text
}

const NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

function validateKey(key: string): string | undefined {
  const slash = key.indexOf('/')
  const name = slash === -1 ? key : key.slice(slash + 1)
  if (slash !== -1) {
    const prefix = key.slice(0, slash)
    if (prefix === '' || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) return `invalid label key "${shown(key)}": the prefix must be a lowercase DNS subdomain of at most 253 characters`
  }
  if (name === '' || name.length > 63 || !NAME.test(name)) {
    return `invalid label key "${shown(key)}": the name must be 1-63 characters, alphanumeric at both ends, with only '-', '_' or '.' between`
  }
  return undefined
}

function validateValue(value: string): string | undefined {
  if (value === '') return undefined
  if (value.length > 63 || !NAME.test(value)) {
    return `invalid label value "${shown(value)}": must be at most 63 characters, alphanumeric at both ends, with only '-', '_' or '.' between`
  }
  return undefined
}

class Parser {
  private i = 0
  constructor(private readonly input: string, private readonly tokens: Token[]) {}

  private peek(): Token { return this.tokens[this.i] ?? { kind: 'end', text: '', pos: this.input.length } }
  private next(): Token { const t = this.peek(); this.i++; return t }

  private fail(tok: Token, expected: string): never {
    const found = tok.kind === 'end' ? 'end of input' : `"${shown(tok.text)}"`
    throw new SelectorError(`invalid label selector "${shown(this.input)}": at position ${tok.pos}: expected ${expected}, found ${found}`)
  }

  private check(msg: string | undefined): void {
    if (msg !== undefined) throw new SelectorError(`invalid label selector "${shown(this.input)}": ${msg}`)
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = []
    if (this.peek().kind === 'end') return reqs
    for (;;) {
      reqs.push(this.requirement())
      const t = this.next()
      if (t.kind === 'end') return reqs
      if (t.kind !== ',') this.fail(t, '"," or end of input')
    }
  }

  private key(): string {
    const t = this.next()
    if (t.kind !== 'ident' || t.text === 'in' || t.text === 'notin') this.fail(t, 'a label key')
    this.check(validateKey(t.text))
    return t.text
  }

  private value(): string {
    const t = this.peek()
    // An empty value is legal: "tier=" selects the label with an empty value.
    if (t.kind === ',' || t.kind === 'end' || t.kind === ')') return ''
    if (t.kind !== 'ident') this.fail(t, 'a label value')
    this.next()
    this.check(validateValue(t.text))
    return t.text
  }

  private requirement(): Requirement {
    if (this.peek().kind === '!') {
      this.next()
      return { key: this.key(), operator: '!', values: [] }
    }
    const key = this.key()
    const op = this.peek()
    switch (op.kind) {
      case ',':
      case 'end':
        return { key, operator: 'exists', values: [] }
      case '=':
      case '==':
        this.next()
        return { key, operator: 'in', values: [this.value()] }
      case '!=':
        this.next()
        return { key, operator: 'notin', values: [this.value()] }
      case '>':
      case '<': {
        this.next()
        const t = this.next()
        if (t.kind !== 'ident' || !/^-?\d+$/.test(t.text)) this.fail(t, 'an integer')
        return { key, operator: op.kind === '>' ? 'gt' : 'lt', values: [t.text] }
      }
      case 'ident':
        if (op.text === 'in' || op.text === 'notin') {
          this.next()
          return { key, operator: op.text, values: this.valueSet(op.text) }
        }
        return this.fail(op, 'an operator (=, ==, !=, in, notin, >, <), "," or end of input')
      default:
        return this.fail(op, 'an operator (=, ==, !=, in, notin, >, <), "," or end of input')
    }
  }

  private valueSet(op: string): string[] {
    const open = this.next()
    if (open.kind !== '(') this.fail(open, '"("')
    const values: string[] = []
    for (;;) {
      values.push(this.value())
      const t = this.next()
      if (t.kind === ')') break
      if (t.kind !== ',') this.fail(t, '"," or ")"')
    }
    if (values.length === 1 && values[0] === '' ) {
      throw new SelectorError(`invalid label selector "${shown(this.input)}": "${op}" needs at least one value`)
    }
    return [...new Set(values)].sort()
  }
}

/** Parses a label selector; throws SelectorError with the position and what was expected. */
export function parseSelector(input: string): Selector {
  return Object.freeze(new Parser(input, tokenize(input)).parse())
}

export function matches(selector: Selector, labels: Readonly<Record<string, string>>): boolean {
  return selector.every((r) => matchRequirement(r, labels))
}

function matchRequirement(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key)
  const value = has ? labels[r.key] : undefined
  switch (r.operator) {
    case 'exists': return has
    case '!': return !has
    case 'in': return value !== undefined && r.values.includes(value)
    case 'notin': return value === undefined || !r.values.includes(value)
    case 'gt':
    case 'lt': {
      if (value === undefined || !/^-?\d+$/.test(value)) return false
      const a = BigInt(value)
      const b = BigInt(r.values[0] ?? '0')
      return r.operator === 'gt' ? a > b : a < b
    }
  }
}

/**
 * The only values `key` may have under the selector (the intersection of its `in` / `=` requirements), or
 * undefined when nothing narrows it to a finite set. Lets a source look a few series up instead of scanning all.
 */
export function allowedValues(selector: Selector, key: string): ReadonlySet<string> | undefined {
  let allowed: Set<string> | undefined
  for (const r of selector) {
    if (r.key !== key || r.operator !== 'in') continue
    allowed = allowed === undefined ? new Set(r.values) : new Set(r.values.filter((v) => allowed?.has(v) === true))
  }
  return allowed
}

/** Canonical text of a parsed selector (sorted keys), used as a cache key. */
export function formatSelector(selector: Selector): string {
  return [...selector]
    .map((r) => {
      switch (r.operator) {
        case 'exists': return r.key
        case '!': return `!${r.key}`
        case 'gt': return `${r.key}>${r.values[0] ?? ''}`
        case 'lt': return `${r.key}<${r.values[0] ?? ''}`
        default: return r.values.length === 1 ? `${r.key}${r.operator === 'in' ? '=' : '!='}${r.values[0] ?? ''}` : `${r.key} ${r.operator} (${r.values.join(',')})`
      }
    })
    .sort()
    .join(',')
}
