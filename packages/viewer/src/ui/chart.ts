/**
 * @module viewer/ui/chart
 * Sparklines drawn as SVG by hand: one polyline per series, no library, nothing from a CDN.
 */

const SVG = 'http://www.w3.org/2000/svg'

/**
 * A small line chart of `values` (oldest first) scaled to their maximum.
 * @example sparkline(series.p95, 'p95 ms', '#4aa3ff')
 */
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
