/**
 * @module viewer/ui/app
 * The front end's entry: picks the page from the path (every page is a real URL, so it can be
 * shared) and marks the active navigation link.
 */
import { h, replace } from './dom.js'
import { errorsPage } from './errors-page.js'
import { logsPage } from './logs-page.js'
import { metricsPage } from './metrics-page.js'
import { servicesPage } from './services-page.js'
import { tracePage } from './trace-page.js'
import { tracesPage } from './traces-page.js'

async function main(): Promise<void> {
  const root = document.getElementById('main') as HTMLElement
  const path = location.pathname.replace(/\/$/, '')
  const params = new URLSearchParams(location.search)
  const section = path.split('/')[1] ?? 'services'
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a')) {
    a.classList.toggle('active', a.dataset.nav === section)
  }
  try {
    const traceMatch = /^\/traces\/([0-9a-fA-F]+)$/.exec(path)
    if (traceMatch !== null) await tracePage(root, traceMatch[1]!, params)
    else if (section === 'traces') await tracesPage(root, params)
    else if (section === 'logs') await logsPage(root, params)
    else if (section === 'errors') await errorsPage(root, params)
    else if (section === 'metrics') await metricsPage(root, params)
    else await servicesPage(root)
    document.body.dataset.ready = 'true'
  } catch (error) {
    replace(root, h('h1', {}, 'Could not load'), h('p', { class: 'err' }, String(error)))
    document.body.dataset.ready = 'error'
  }
}

void main()
