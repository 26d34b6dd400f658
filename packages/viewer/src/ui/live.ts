/**
 * @module viewer/ui/live
 * Live updates: each page hands over a refresh function, run every few seconds unless the user
 * paused (the header's toggle, remembered across pages). A refresh keeps what the user looks at:
 * when they have scrolled down, the row at the top of their view stays where it is while new rows
 * arrive above it.
 */

const INTERVAL_MS = 3000
const PAUSED_KEY = 'sightline-viewer-paused'

/**
 * Runs `refresh` every few seconds while live; the header's button pauses and resumes.
 * @example live(async () => { await render() })
 */
export function live(refresh: () => Promise<void>): void {
  const button = document.getElementById('live-toggle') as HTMLButtonElement | null
  const status = document.getElementById('status')
  let paused = readPaused()
  let running = false
  const show = (text: string) => {
    if (status !== null) status.textContent = text
  }
  const label = () => {
    if (button === null) return
    button.textContent = paused ? '▶ Resume' : '❚❚ Pause'
    button.setAttribute('aria-pressed', String(paused))
    button.classList.toggle('paused', paused)
    document.body.dataset.live = paused ? 'paused' : 'live'
  }
  const tick = async () => {
    if (paused || running || document.hidden) return
    running = true
    try {
      await refresh()
      show(`live · updated ${new Date().toLocaleTimeString()}`)
    } catch (error) {
      show(`update failed: ${String(error)}`)
    } finally {
      running = false
    }
  }
  button?.addEventListener('click', () => {
    paused = !paused
    writePaused(paused)
    label()
    show(paused ? 'paused' : 'live')
    if (!paused) void tick()
  })
  label()
  show(paused ? 'paused' : 'live')
  setInterval(() => void tick(), INTERVAL_MS)
}

function readPaused(): boolean {
  try {
    return localStorage.getItem(PAUSED_KEY) === '1'
  } catch {
    return false
  }
}

function writePaused(paused: boolean): void {
  try {
    localStorage.setItem(PAUSED_KEY, paused ? '1' : '0')
  } catch {
    // Storage refused (private mode): the toggle still works for this page.
  }
}

/**
 * Runs `update` (which replaces rows carrying `data-key`) so that, when the user has scrolled,
 * the first row in view stays at the same place on screen.
 */
export function keepingScroll(container: Element, update: () => void): void {
  if (window.scrollY <= 0) {
    update()
    return
  }
  let anchor: { key: string; top: number } | undefined
  for (const row of container.querySelectorAll<HTMLElement>('[data-key]')) {
    const top = row.getBoundingClientRect().top
    if (top >= 0) {
      anchor = { key: row.dataset.key!, top }
      break
    }
  }
  update()
  if (anchor === undefined) return
  for (const row of container.querySelectorAll<HTMLElement>('[data-key]')) {
    if (row.dataset.key !== anchor.key) continue
    window.scrollBy(0, row.getBoundingClientRect().top - anchor.top)
    return
  }
}
