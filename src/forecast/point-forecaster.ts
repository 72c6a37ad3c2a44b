/** What every baseline forecaster implements: strictly online, one observation at a time, forecasts from the past only. */
export interface PointForecaster {
  readonly name: string
  /** Appends the next observation; NaN marks a missing row, which the forecaster fills with its own forecast. */
  observe(value: number): void
  /** Point forecasts for horizons 1..maxHorizonSteps after the newest observation (index h-1 = horizon h). */
  forecast(maxHorizonSteps: number): Float64Array
}
