import t from 'tap'
import { formatQuantity, parseMilliValue, QuantityError } from './quantity.js'

const cases: Array<[number, string]> = [
  [0, '0'], [-0, '0'], [1, '1'], [5, '5'], [1.5, '1500m'], [0.001, '1m'], [0.0004, '0'], [0.0005, '1m'],
  [0.25, '250m'], [1500, '1500'], [2000, '2k'], [2500.5, '2500500m'], [1_000_000, '1M'], [12_000_000_000, '12G'],
  [-3, '-3'], [-0.5, '-500m'], [123.456, '123456m'], [1e18, '1E'], [1e15, '1P'], [0.999, '999m'], [41.333333, '41333m'],
]
for (const [value, text] of cases) {
  t.test(`${value} -> ${text}`, async (t) => {
    t.equal(formatQuantity(value), text)
    t.equal(parseMilliValue(text), BigInt(Math.round(value * 1000)), 'MilliValue round-trips')
  })
}

t.test('non-finite values are refused', async (t) => {
  for (const v of [NaN, Infinity, -Infinity]) t.throws(() => formatQuantity(v), QuantityError)
})

t.test('MilliValue rounds up like resource.Quantity', async (t) => {
  t.equal(parseMilliValue('1.0001'), 1001n)
  t.equal(parseMilliValue('2.5k'), 2_500_000n)
  t.throws(() => parseMilliValue('1.5x'), QuantityError)
  t.throws(() => parseMilliValue(''), QuantityError)
})
