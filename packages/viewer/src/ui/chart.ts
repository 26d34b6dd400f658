/**
 * @module viewer/ui/chart
 * Time charts drawn as SVG by hand (no library, nothing from a CDN): a filled line over time with a
 * value axis (zero, half and the top, in the series' unit), a time axis (minutes ago, and now),
 * and a hover readout of the nearest point's time and value. Every point is also on the element
 * (`data-values`, `data-times`), so tests and scripts read exactly what is drawn.
 */

const SVG = 'http://www.w3.org/2000/svg'

/** A small line of `values` without axes (the Errors page's occurrences per minute), its peak in the title. */
export function sparkline(values: readonly number[], label: string, color: string, width = 140, height = 32): Element {
  const svg = document.createElementNS(SVG, 'svg')
  svg.setAttribute('class', 'spark')
  svg.setAttribute('width', String(width))
  svg.setAttribute('height', String(height))
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`)
  svg.setAttribute('role', 'img')
  const max = Math.max(...values, 0)
  const step = values.length > 1 ? width / (values.length - 1) : width
  const points = values
    .map(
      (value, i) =>
        `${(i * step).toFixed(1)},${(height - 2 - (max === 0 ? 0 : (value / max) * (height - 4))).toFixed(1)}`,
    )
    .join(' ')
  const line = document.createElementNS(SVG, 'polyline')
  line.setAttribute('points', points)
  line.setAttribute('fill', 'none')
  line.setAttribute('stroke', color)
  line.setAttribute('stroke-width', '1.5')
  svg.appendChild(line)
  const title = document.createElementNS(SVG, 'title')
  title.textContent = `${label}: max ${max.toFixed(2)}`
  svg.appendChild(title)
  return svg
}

export interface ChartOptions {
  label: string
  color: string
  /** How a value reads on the axis and in the readout (`12 ms`, `3.2/s`). */
  format: (value: number) => string
  width?: number
  height?: number
  /** Draws the line only: tables with many rows use the small size. */
  compact?: boolean
  /** More lines on the same axes (p95 and p99 over p50), each with its label in the readout. */
  more?: readonly { label: string; color: string; values: readonly number[] }[]
}

const MARGIN_LEFT = 54
const MARGIN_BOTTOM = 16
const MARGIN_TOP = 14

function svgElement<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number>,
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag)
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value))
  return element
}

function svgText(x: number, y: number, value: string, anchor = 'start', cls = 'axis'): SVGTextElement {
  const element = svgElement('text', { x, y, 'text-anchor': anchor, class: cls })
  element.textContent = value
  return element
}

/** A round number at or above `max`, so the axis reads 0, 5, 10 rather than 0, 4.37, 8.74. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1
  const power = 10 ** Math.floor(Math.log10(max))
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= max) return step * power
  return 10 * power
}

/** Time before the last point: `-12m`, or `-40s` when the chart spans less than three minutes. */
function ago(ms: number, now: number, spanMs: number): string {
  if (ms >= now) return 'now'
  if (spanMs < 180_000) return `-${Math.round((now - ms) / 1000)}s`
  return `-${Math.round((now - ms) / 60_000)}m`
}

/**
 * A chart of `values` at times `times` (ms, oldest first).
 * @example timeChart(series.t, series.p95, { label: 'p95', color: '#4aa3ff', format: duration })
 */
export function timeChart(times: readonly number[], values: readonly number[], options: ChartOptions): Element {
  const compact = options.compact === true
  const width = options.width ?? (compact ? 180 : 360)
  const height = options.height ?? (compact ? 64 : 140)
  const left = MARGIN_LEFT
  const plotWidth = width - left - 4
  const plotHeight = height - MARGIN_BOTTOM - MARGIN_TOP
  const lines = [{ label: options.label, color: options.color, values }, ...(options.more ?? [])]
  const max = niceMax(Math.max(0, ...lines.flatMap((line) => line.values.filter(Number.isFinite))))
  const x = (i: number) => left + (values.length > 1 ? (i / (values.length - 1)) * plotWidth : plotWidth)
  const y = (value: number) => MARGIN_TOP + plotHeight - (Math.max(0, value) / max) * plotHeight

  const svg = svgElement('svg', {
    class: compact ? 'spark chart-svg compact' : 'spark chart-svg',
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': options.label,
  })
  svg.dataset.values = JSON.stringify(values)
  svg.dataset.times = JSON.stringify(times)
  svg.dataset.label = options.label
  // Value axis: grid lines at zero, half and the top.
  for (const fraction of [0, 0.5, 1]) {
    const at = y(max * fraction)
    svg.appendChild(svgElement('line', { x1: left, x2: left + plotWidth, y1: at, y2: at, class: 'grid' }))
    svg.appendChild(svgText(left - 4, at + 3, options.format(max * fraction), 'end'))
  }
  // Time axis: the first point, two between, and the last.
  const now = times.at(-1) ?? Date.now()
  if (times.length > 1) {
    const indices = new Set((compact ? [0, 1] : [0, 1 / 3, 2 / 3, 1]).map((f) => Math.round(f * (times.length - 1))))
    for (const i of indices) {
      const fraction = i / (times.length - 1)
      const anchor = fraction === 0 ? 'start' : fraction === 1 ? 'end' : 'middle'
      svg.appendChild(svgText(x(i), height - 3, ago(times[i]!, now, now - times[0]!), anchor))
    }
  }
  for (const [n, line] of lines.entries()) {
    if (line.values.length === 0) continue
    // A point that is not a number (a step without observations) is left out, not drawn as zero.
    const points = line.values.flatMap((value, i) =>
      Number.isFinite(value) ? [`${x(i).toFixed(1)},${y(value).toFixed(1)}`] : [],
    )
    if (points.length === 0) continue
    const base = (MARGIN_TOP + plotHeight).toFixed(1)
    if (n === 0 && points.length === line.values.length) {
      svg.appendChild(
        svgElement('polygon', {
          points: `${x(0).toFixed(1)},${base} ${points.join(' ')} ${x(line.values.length - 1).toFixed(1)},${base}`,
          fill: line.color,
          'fill-opacity': '0.15',
        }),
      )
    }
    svg.appendChild(
      svgElement('polyline', { points: points.join(' '), fill: 'none', stroke: line.color, 'stroke-width': 1.5 }),
    )
    // One point makes no line: a dot shows it.
    if (points.length === 1) {
      const [cx, cy] = points[0]!.split(',')
      svg.appendChild(svgElement('circle', { cx: cx!, cy: cy!, r: 3, fill: line.color }))
    }
  }
  svg.appendChild(svgText(left, 10, options.label, 'start', 'chart-title'))
  // Hover: a cursor line, a dot and the readout of the nearest point.
  const cursor = svgElement('line', {
    y1: MARGIN_TOP,
    y2: MARGIN_TOP + plotHeight,
    class: 'cursor',
    visibility: 'hidden',
  })
  const dot = svgElement('circle', { r: 3, fill: options.color, visibility: 'hidden' })
  const readout = svgText(left + plotWidth, 10, '', 'end', 'readout')
  svg.append(cursor, dot, readout)
  svg.addEventListener('mousemove', (event) => {
    if (values.length === 0) return
    const box = svg.getBoundingClientRect()
    const px = ((event.clientX - box.left) / box.width) * width
    const i = Math.max(0, Math.min(values.length - 1, Math.round(((px - left) / plotWidth) * (values.length - 1))))
    const value = Number.isFinite(values[i]!) ? values[i]! : 0
    cursor.setAttribute('x1', String(x(i)))
    cursor.setAttribute('x2', String(x(i)))
    dot.setAttribute('cx', String(x(i)))
    dot.setAttribute('cy', String(y(value)))
    cursor.setAttribute('visibility', 'visible')
    dot.setAttribute('visibility', 'visible')
    const time = times[i] === undefined ? '' : `${new Date(times[i]!).toLocaleTimeString()} · `
    readout.textContent =
      lines.length === 1
        ? `${time}${options.format(value)}`
        : time +
          lines
            .map((line) => {
              const v = line.values[i]
              return `${line.label} ${v === undefined || !Number.isFinite(v) ? '–' : options.format(v)}`
            })
            .join(' · ')
    svg.dataset.hover = String(i)
  })
  svg.addEventListener('mouseleave', () => {
    cursor.setAttribute('visibility', 'hidden')
    dot.setAttribute('visibility', 'hidden')
    readout.textContent = ''
    delete svg.dataset.hover
  })
  return svg
}
