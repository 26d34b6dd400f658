/**
 * @module test/viewer/browser
 * Headless Chromium (Debian's build, driven by playwright-core) with a fresh profile, for the
 * viewer's browser tests; and where their screenshots go (`docs/screenshots/`, kept in the repo).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, chromium } from 'playwright-core'

/**
 * Every run writes its screenshots to test/dist/screenshots/ (kept after the run); with
 * SIGHTLINE_UPDATE_SCREENSHOTS=1 they go to docs/screenshots/ instead, to be committed — so a plain
 * `npm test` never leaves tracked files modified.
 */
export const SCREENSHOT_DIR = new URL(
  process.env.SIGHTLINE_UPDATE_SCREENSHOTS === '1' ? '../../../docs/screenshots/' : '../screenshots/',
  import.meta.url,
).pathname

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/**
 * `bypassCSP` switches the pages' Content-Security-Policy off, for tests of what the DOM code does
 * with hostile text: with the policy on, an injected inline handler would be blocked and go unseen.
 */
export async function launchBrowser(
  options: { bypassCSP?: boolean } = {},
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'sightline-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 800 },
    colorScheme: 'dark',
    bypassCSP: options.bypassCSP === true,
  })
  mkdirSync(SCREENSHOT_DIR, { recursive: true })
  return {
    context,
    async close() {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}
