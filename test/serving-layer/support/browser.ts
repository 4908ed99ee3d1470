/** A page in real headless Chromium (Debian's, driven by playwright-core), closed after the test. */
import { chromium, type Page } from 'playwright-core'
import { onTestFinished } from 'vitest'

const CHROMIUM = '/usr/bin/chromium'

export async function newBrowserPage(): Promise<Page> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu'],
  })
  onTestFinished(() => browser.close())
  return browser.newPage()
}
