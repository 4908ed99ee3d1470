/** Real headless Chromium (Debian's, installed by scripts/provision.sh), driven by playwright-core; closed after the test. */
import { chromium, type Browser, type Page } from 'playwright-core'
import { onTestFinished } from 'vitest'

const CHROMIUM = '/usr/bin/chromium'

export async function launchChromium(): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  onTestFinished(() => browser.close())
  return browser
}

/** The page's console errors and uncaught exceptions, collected as they happen (a test expects none). */
export function pageErrors(page: Page, into: string[] = []): string[] {
  page.on('console', (m) => {
    if (m.type() === 'error') into.push(m.text())
  })
  page.on('pageerror', (e) => into.push(e.message))
  return into
}
