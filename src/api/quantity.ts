// Kubernetes Quantity strings in canonical DecimalSI form. The HPA reads values with MilliValue(), so we keep
// milli precision: 1.5 -> "1500m", 2000 -> "2k", 1500 -> "1500", 0 -> "0".

const SUFFIXES: ReadonlyArray<[number, string]> = [[-3, 'm'], [0, ''], [3, 'k'], [6, 'M'], [9, 'G'], [12, 'T'], [15, 'P'], [18, 'E']]

export class QuantityError extends Error {
  override name = 'QuantityError'
}

export function formatQuantity(value: number): string {
  if (!Number.isFinite(value)) throw new QuantityError(`cannot represent ${value} as a Quantity`)
  // Whole values are exact in BigInt; fractional ones are rounded to the nearest milli.
  let mantissa = Number.isSafeInteger(value) ? BigInt(value) * 1000n : BigInt(Math.round(value * 1000))
  if (mantissa === 0n) return '0'
  const negative = mantissa < 0n
  if (negative) mantissa = -mantissa
  let index = 0 // into SUFFIXES: exponent -3
  while (index < SUFFIXES.length - 1 && mantissa % 1000n === 0n) {
    mantissa /= 1000n
    index++
  }
  const suffix = SUFFIXES[index]?.[1] ?? ''
  return `${negative ? '-' : ''}${mantissa.toString()}${suffix}`
}

const PARSE = /^([+-]?)(\d+)(?:\.(\d+))?(m|k|M|G|T|P|E)?$/
const EXPONENT: Readonly<Record<string, number>> = { m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 }

/** Milli-units of a DecimalSI Quantity, rounded up like resource.Quantity.MilliValue(). */
export function parseMilliValue(text: string): bigint {
  const m = PARSE.exec(text)
  if (m === null) throw new QuantityError(`invalid quantity "${text}"`)
  const [, sign = '', whole = '0', frac = '', suffix = ''] = m
  const exp = (EXPONENT[suffix] ?? 0) + 3 - frac.length
  let digits = BigInt(whole + frac)
  if (exp >= 0) digits *= 10n ** BigInt(exp)
  else {
    const div = 10n ** BigInt(-exp)
    digits = (digits + div - 1n) / div
  }
  return sign === '-' ? -digits : digits
}
