import t from 'tap'
import { AdaptiveState, COMPONENTS, DEFAULT_ADAPTIVE, EVAL_HORIZONS, summarize } from './adaptive.js'
import { adaptiveNote, formatAdaptive } from './adaptive-text.js'

t.test('explain lists every component with its weights, the calibration and the seasonal gate', async (t) => {
  const s = new AdaptiveState()
  s.scored.fill(100)
  // Model error 10, moving_avg_15 error 5 at every horizon: the moving average takes the weight.
  const K = EVAL_HORIZONS.length
  for (let c = 0; c < COMPONENTS.length; c++) s.loss.fill(c === 0 ? 10 : c === 3 ? 5 : 20, c * K, c * K + K)
  s.upper.fill(1.5)
  s.masked = true
  s.gateCompared = 40
  s.gateBase = 10
  s.gateDiff = 1
  const text = formatAdaptive(summarize(s)).join('\n')
  t.match(text, /restart of the adapter, or explain --local, starts it afresh/)
  t.match(text, /model +0\.00 \/ 0\.00 \/ 0\.00 \/ 0\.00; +1\.00 \/ 1\.00 \/ 1\.00 \/ 1\.00/)
  t.match(text, /moving_avg_15 +1\.00 \/ 1\.00 \/ 1\.00 \/ 1\.00; +0\.50 \/ 0\.50 \/ 0\.50 \/ 0\.50/)
  t.match(text, /p90 = median \+ 1\.50 \/ 1\.50 \/ 1\.50 \/ 1\.50/)
  t.match(text, /MASKED for this workload; masking compared at 40 origins, 10\.0 % lower error/)
  t.notMatch(text, /the model alone until/)
  t.match(formatAdaptive(summarize(new AdaptiveState())).join('\n'), /the model alone until 30/, 'a fresh state says it is warming up')
  t.match(text, /the replica rule provisions for median \+ the model's \(p90 - p50\)/)
  t.match(formatAdaptive(summarize(s, { ...DEFAULT_ADAPTIVE, calibrate: false })).join('\n'), /calibration {5}off \(engine.forecastCalibration\)/)
  t.equal(adaptiveNote(summarize(s)), 'forecast adapted (since the adapter started): weights at 1 step moving_avg_15 1.00; p90 scale 1.50 / 1.50 / 1.50 / 1.50; seasonal rows masked')
  t.match(adaptiveNote(summarize(new AdaptiveState())), /warming up \(0 of 30 forecasts scored since the adapter started\)/)
})
