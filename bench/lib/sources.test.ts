import t from 'tap'
import { BenchOptionError, pathsOfSource, sourceOf } from './sources.js'
import { NASA_FILE } from './traces.js'

const paths = [NASA_FILE, 'nab/data/realAWSCloudwatch/a.csv', 'nab/data/realKnownCause/nyc_taxi.csv', 'nab/data/realAWSCloudwatch/b.csv', 'synthetic/0.csv']

t.test('sourceOf: NASA, the NAB group, the first segment otherwise', async (t) => {
  t.equal(sourceOf(NASA_FILE), 'nasa')
  t.equal(sourceOf('nab/data/realKnownCause/nyc_taxi.csv'), 'realKnownCause')
  t.equal(sourceOf('synthetic/3.csv'), 'synthetic')
})

t.test('pathsOfSource keeps split order and rejects an unknown source with the known ones', async (t) => {
  t.same(pathsOfSource(paths, 'realAWSCloudwatch'), ['nab/data/realAWSCloudwatch/a.csv', 'nab/data/realAWSCloudwatch/b.csv'])
  t.throws(() => pathsOfSource(paths, 'nab'), new BenchOptionError('--source nab: no series of that source in the split (sources: nasa, realAWSCloudwatch, realKnownCause, synthetic)'))
})
