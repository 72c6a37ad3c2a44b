/**
 * A self-contained SVG line chart (no plotting dependency): demand as a shaded area, each strategy's ready
 * capacity as a step line, time on x. Values are averaged into buckets so a two-week run stays a small file.
 */

export interface ChartSeries {
  name: string
  color: string
  values: Float64Array
  /** Shaded area instead of a line (the demand). */
  area?: boolean
}

interface ChartOptions {
  title: string
  subtitle?: string
  timesMs: Float64Array
  series: readonly ChartSeries[]
  /** Width of one plotted point. */
  bucketMs: number
  yLabel: string
  /** Offset of the time labels from UTC (the NASA trace is -240: its server's local time). */
  utcOffsetMinutes?: number
  widthPx?: number
  heightPx?: number
}

const MARGIN = { left: 64, right: 16, top: 56, bottom: 64 }
const HOUR_MS = 3_600_000
const DAY_MS = 24 * HOUR_MS

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
const num = (x: number): string => (Math.round(x * 10) / 10).toString()

/** Mean of the finite values per bucket; NaN for an empty bucket. */
function bucketize(timesMs: Float64Array, values: Float64Array, startMs: number, bucketMs: number, buckets: number): Float64Array {
  const sum = new Float64Array(buckets)
  const count = new Float64Array(buckets)
  for (let i = 0; i < timesMs.length; i++) {
    const b = Math.floor(((timesMs[i] ?? 0) - startMs) / bucketMs)
    const v = values[i] ?? NaN
    if (b >= 0 && b < buckets && Number.isFinite(v)) {
      sum[b] = (sum[b] ?? 0) + v
      count[b] = (count[b] ?? 0) + 1
    }
  }
  return sum.map((s, b) => ((count[b] ?? 0) > 0 ? s / (count[b] ?? 1) : NaN))
}

function niceStep(max: number, ticks: number): number {
  const raw = max / ticks
  const mag = 10 ** Math.floor(Math.log10(raw))
  const f = raw / mag
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag
}

export function lineChart(o: ChartOptions): string {
  const width = o.widthPx ?? 1200
  const height = o.heightPx ?? 440
  const plotW = width - MARGIN.left - MARGIN.right
  const plotH = height - MARGIN.top - MARGIN.bottom
  const startMs = o.timesMs[0] ?? 0
  const endMs = (o.timesMs[o.timesMs.length - 1] ?? startMs) + 1
  const buckets = Math.max(1, Math.ceil((endMs - startMs) / o.bucketMs))
  const data = o.series.map((s) => ({ s, v: bucketize(o.timesMs, s.values, startMs, o.bucketMs, buckets) }))
  let yMax = 0
  for (const d of data) for (const v of d.v) if (Number.isFinite(v) && v > yMax) yMax = v
  const yStep = niceStep(yMax > 0 ? yMax : 1, 5)
  const yTop = Math.ceil((yMax > 0 ? yMax : 1) / yStep) * yStep
  const x = (ms: number): number => MARGIN.left + ((ms - startMs) / (endMs - startMs)) * plotW
  const y = (v: number): number => MARGIN.top + plotH - (v / yTop) * plotH
  const offsetMs = (o.utcOffsetMinutes ?? 0) * 60_000
  const out: string[] = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`)
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`)
  out.push(`<text x="${MARGIN.left}" y="22" font-size="16" font-weight="bold">${esc(o.title)}</text>`)
  if (o.subtitle !== undefined) out.push(`<text x="${MARGIN.left}" y="40" fill="#555">${esc(o.subtitle)}</text>`)
  // Horizontal grid and y labels.
  for (let v = 0; v <= yTop + 1e-9; v += yStep) {
    out.push(`<line x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${num(y(v))}" y2="${num(y(v))}" stroke="#e5e5e5"/>`)
    out.push(`<text x="${MARGIN.left - 6}" y="${num(y(v) + 4)}" text-anchor="end" fill="#555">${num(v)}</text>`)
  }
  out.push(`<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#555">${esc(o.yLabel)}</text>`)
  // Time ticks: days for long ranges, hours for a day or less.
  const spanMs = endMs - startMs
  const tickMs = spanMs > 2 * DAY_MS ? DAY_MS : spanMs > 12 * HOUR_MS ? 3 * HOUR_MS : HOUR_MS
  const firstTick = Math.ceil((startMs + offsetMs) / tickMs) * tickMs - offsetMs
  for (let t = firstTick; t < endMs; t += tickMs) {
    const d = new Date(t + offsetMs)
    const label = tickMs === DAY_MS ? d.toISOString().slice(5, 10) : d.toISOString().slice(11, 16)
    out.push(`<line x1="${num(x(t))}" x2="${num(x(t))}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#eeeeee"/>`)
    out.push(`<text x="${num(x(t))}" y="${MARGIN.top + plotH + 16}" text-anchor="middle" fill="#555">${label}</text>`)
  }
  const zone = (o.utcOffsetMinutes ?? 0) === 0 ? 'UTC' : `UTC${(o.utcOffsetMinutes ?? 0) < 0 ? '-' : '+'}${String(Math.abs(Math.trunc((o.utcOffsetMinutes ?? 0) / 60))).padStart(2, '0')}:${String(Math.abs((o.utcOffsetMinutes ?? 0) % 60)).padStart(2, '0')}`
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${MARGIN.top + plotH + 34}" text-anchor="middle" fill="#555">time (${zone})</text>`)
  for (const { s, v } of data) out.push(s.area === true ? areaPath(v, startMs, o.bucketMs, x, y, s.color) : stepPath(v, startMs, o.bucketMs, x, y, s.color))
  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`)
  // Legend under the axis label.
  let lx = MARGIN.left
  const ly = height - 12
  for (const s of o.series) {
    out.push(s.area === true ? `<rect x="${lx}" y="${ly - 9}" width="18" height="10" fill="${s.color}" fill-opacity="0.35"/>` : `<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"/>`)
    out.push(`<text x="${lx + 24}" y="${ly}">${esc(s.name)}</text>`)
    lx += 34 + s.name.length * 7
  }
  out.push('</svg>')
  return out.join('\n') + '\n'
}

type Scale = (v: number) => number

/** Horizontal segments per bucket joined by verticals: capacity changes in steps. Gaps break the line. */
function stepPath(v: Float64Array, startMs: number, bucketMs: number, x: Scale, y: Scale, color: string): string {
  const parts: string[] = []
  let open = false
  v.forEach((val, b) => {
    if (!Number.isFinite(val)) {
      open = false
      return
    }
    const x0 = num(x(startMs + b * bucketMs))
    const x1 = num(x(startMs + (b + 1) * bucketMs))
    parts.push(`${open ? 'L' : 'M'}${x0} ${num(y(val))} L${x1} ${num(y(val))}`)
    open = true
  })
  return `<path d="${parts.join(' ')}" fill="none" stroke="${color}" stroke-width="1.5" stroke-linejoin="round"/>`
}

function areaPath(v: Float64Array, startMs: number, bucketMs: number, x: Scale, y: Scale, color: string): string {
  const paths: string[] = []
  let run: string[] = []
  let runStart = 0
  const close = (endB: number): void => {
    if (run.length > 0) paths.push(`M${num(x(startMs + runStart * bucketMs))} ${num(y(0))} ${run.join(' ')} L${num(x(startMs + endB * bucketMs))} ${num(y(0))} Z`)
    run = []
  }
  v.forEach((val, b) => {
    if (!Number.isFinite(val)) {
      close(b)
      return
    }
    if (run.length === 0) runStart = b
    run.push(`L${num(x(startMs + b * bucketMs))} ${num(y(val))} L${num(x(startMs + (b + 1) * bucketMs))} ${num(y(val))}`)
  })
  close(v.length)
  return `<path d="${paths.join(' ')}" fill="${color}" fill-opacity="0.35" stroke="none"/>`
}

export interface XySeries {
  name: string
  color: string
  /** Points in the order the line joins them; each marker is labelled. */
  points: ReadonlyArray<{ x: number; y: number; label?: string }>
}

interface XyChartOptions {
  title: string
  subtitle?: string
  series: readonly XySeries[]
  xLabel: string
  yLabel: string
  widthPx?: number
  heightPx?: number
}

/** A line-and-marker chart of (x, y) points, y from zero, x over the points' range: the cost / under-provisioning frontier. */
export function xyChart(o: XyChartOptions): string {
  const width = o.widthPx ?? 900
  const height = o.heightPx ?? 520
  const plotW = width - MARGIN.left - MARGIN.right - 16
  const plotH = height - MARGIN.top - MARGIN.bottom
  const all = o.series.flatMap((s) => s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)))
  const top = (values: number[]): { step: number; max: number } => {
    const m = Math.max(0, ...values)
    const step = niceStep(m > 0 ? m : 1, 5)
    return { step, max: Math.ceil((m > 0 ? m : 1) / step) * step }
  }
  // Costs sit far from zero (every strategy pays for the base load): x spans the points, y starts at zero.
  const xValues = all.map((p) => p.x)
  const xLow = Math.min(...xValues, Infinity)
  const xHigh = Math.max(...xValues, -Infinity)
  const xStep = niceStep(Number.isFinite(xLow) && xHigh > xLow ? xHigh - xLow : Math.max(1, Math.abs(xHigh)), 5)
  const xs = Number.isFinite(xLow) ? { step: xStep, min: Math.floor(xLow / xStep) * xStep, max: Math.ceil(xHigh / xStep) * xStep || xStep } : { step: 1, min: 0, max: 1 }
  if (xs.max <= xs.min) xs.max = xs.min + xs.step
  const ys = top(all.map((p) => p.y))
  const x = (v: number): number => MARGIN.left + 16 + ((v - xs.min) / (xs.max - xs.min)) * plotW
  const y = (v: number): number => MARGIN.top + plotH - (v / ys.max) * plotH
  const label = (v: number): string => (v >= 10_000 ? `${num(v / 1000)}k` : num(v))
  const left = MARGIN.left + 16
  const out: string[] = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`)
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`)
  out.push(`<text x="${left}" y="22" font-size="16" font-weight="bold">${esc(o.title)}</text>`)
  if (o.subtitle !== undefined) out.push(`<text x="${left}" y="40" fill="#555">${esc(o.subtitle)}</text>`)
  for (let v = 0; v <= ys.max + 1e-9; v += ys.step) {
    out.push(`<line x1="${left}" x2="${left + plotW}" y1="${num(y(v))}" y2="${num(y(v))}" stroke="#e5e5e5"/>`)
    out.push(`<text x="${left - 6}" y="${num(y(v) + 4)}" text-anchor="end" fill="#555">${label(v)}</text>`)
  }
  for (let v = xs.min; v <= xs.max + 1e-9; v += xs.step) {
    out.push(`<line x1="${num(x(v))}" x2="${num(x(v))}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#eeeeee"/>`)
    out.push(`<text x="${num(x(v))}" y="${MARGIN.top + plotH + 16}" text-anchor="middle" fill="#555">${label(v)}</text>`)
  }
  out.push(`<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#555">${esc(o.yLabel)}</text>`)
  out.push(`<text x="${left + plotW / 2}" y="${MARGIN.top + plotH + 34}" text-anchor="middle" fill="#555">${esc(o.xLabel)}</text>`)
  out.push(`<rect x="${left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`)
  for (const s of o.series) {
    const pts = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y))
    if (pts.length === 0) continue
    out.push(`<path d="${pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${num(x(p.x))} ${num(y(p.y))}`).join(' ')}" fill="none" stroke="${s.color}" stroke-width="2"/>`)
    for (const p of pts) {
      out.push(`<circle cx="${num(x(p.x))}" cy="${num(y(p.y))}" r="4" fill="${s.color}"/>`)
      if (p.label !== undefined) out.push(`<text x="${num(x(p.x) + 6)}" y="${num(y(p.y) - 6)}" fill="${s.color}">${esc(p.label)}</text>`)
    }
  }
  let lx = left
  const ly = height - 12
  for (const s of o.series) {
    out.push(`<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"/>`)
    out.push(`<text x="${lx + 24}" y="${ly}">${esc(s.name)}</text>`)
    lx += 34 + s.name.length * 7
  }
  out.push('</svg>')
  return out.join('\n') + '\n'
}
