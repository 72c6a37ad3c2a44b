import t from 'tap'
import { fmt, formatTable } from './table.js'

t.test('aligns the first column left and the rest right', async (t) => {
  t.equal(formatTable(['name', 'v'], [['a', '1.0'], ['bbb', '22.5']]), 'name     v\n----  ----\na      1.0\nbbb   22.5')
  t.equal(fmt(1.23456, 2), '1.23')
  t.equal(fmt(NaN), 'n/a')
})
