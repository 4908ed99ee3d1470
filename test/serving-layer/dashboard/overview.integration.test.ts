/**
 * The dashboard's first five minutes in real headless Chromium, on demo-like data: the demo's own history (7 days
 * simulated into a backfill topic on the real broker, archived by the real archiver, computed by a real batch run)
 * and live events through the collector, counted by the speed layer. Then a person's path: the overview opens with
 * today's totals, batch and realtime bars, the top lists and the watermark line; "/" and the arrow keys open a song;
 * a shared URL reloads to the same view; back returns to the overview; a phone viewport has no horizontal scroll.
 * Screenshots go to test-results/dashboard/, and with UPDATE_SCREENSHOTS=1 also to docs/images/ (the README's).
 */
import fs from 'node:fs'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it, onTestFinished } from 'vitest'
import { buildPipeline } from '../../../cli/pipeline.ts'
import { layDownHistory } from '../../../cli/demo-history.ts'
import { ensureCatalog } from '../../../shared/catalog/default.ts'
import { openLake } from '../../../shared/lake.ts'
import { createLogger } from '../../../shared/logger.ts'
import { cleanupTopics, eventually, testConfig } from '../../helpers.ts'
import { launchChromium, pageErrors } from '../support/chromium.ts'

const ARTIFACTS = path.join('test-results', 'dashboard')
const DOCS = path.join('docs', 'images')
const HISTORY_DAYS = 7
/** About a minute of the demo's simulated audience (8,000 listeners), half of it on one song. */
const LIVE = 600

interface ChartAnswer {
  date: string
  watermark: number
  totals: { entries: number; plays: number; parts: { batch: { plays: number }; realtime: { plays: number } } }
  entries: Array<{ id: string; name: string }>
}

async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(ARTIFACTS, { recursive: true })
  await page.screenshot({ path: path.join(ARTIFACTS, name) })
  if (process.env['UPDATE_SCREENSHOTS'] === '1') await page.screenshot({ path: path.join(DOCS, name) })
}

/** The page's width (wider than the viewport: a horizontal scroll bar), and the elements that stick out, named. */
async function scrollWidth(page: Page, viewport: number): Promise<{ width: number; wide: string[] }> {
  return page.evaluate(
    (viewport) => ({
      width: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
      wide: [...document.querySelectorAll('body *')]
        .filter((el) => el.getBoundingClientRect().right > viewport + 0.5)
        .map(
          (el) =>
            `${el.tagName.toLowerCase()}#${el.id}.${el.className} ${Math.round(el.getBoundingClientRect().right)}`,
        )
        .slice(0, 10),
    }),
    viewport,
  )
}
async function fits(page: Page, width: number): Promise<void> {
  const got = await scrollWidth(page, width)
  expect(got.width, got.wide.join(', ')).toBeLessThanOrEqual(width)
}

describe('the dashboard overview', () => {
  it('opens on today with batch and realtime parts, searches by keyboard, reloads a shared URL, fits a phone', async () => {
    const config = testConfig({ PORT: '0', KAFKA_PARTITIONS: '2' })
    cleanupTopics(config)
    const log = createLogger({ level: 'silent' })
    const lake = openLake(config, log)
    onTestFinished(() => lake.close())
    const catalog = await ensureCatalog(config, lake, log)
    const history = await layDownHistory(config, { catalog, lake, log }, HISTORY_DAYS)
    expect(history.events).toBeGreaterThan(0)
    const pipeline = await buildPipeline(config, ['speed', 'serve', 'ingest'], log)
    const base = await pipeline.start()
    onTestFinished(() => pipeline.stop())

    // Live listening through the collector: today's realtime part.
    const song = [...catalog.songs.values()][7]!
    const now = Date.now()
    const live = Array.from({ length: LIVE }, (_, i) => ({
      eventId: `live-${i}`,
      ts: now - 60_000,
      userId: `live-${i % 8}`,
      songId: i % 2 === 0 ? song.songId : [...catalog.songs.values()][i + 10]!.songId, // never `song` itself
      type: 'play',
      msPlayed: 90_000,
    }))
    const posted = await fetch(`${base}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(live),
    })
    expect(posted.status).toBe(202)
    const today = await eventually(
      async () => {
        const c = (await (await fetch(`${base}/v1/charts/daily?kind=song&limit=10`)).json()) as ChartAnswer
        return c.totals.parts.realtime.plays === LIVE ? c : undefined
      },
      30_000,
      `the speed layer to count the ${LIVE} live plays`,
    )
    expect(today.watermark).toBe(history.watermark)

    const browser = await launchChromium()
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    const errors = pageErrors(page)

    // The overview's chart requests for today (no date, top 10) and for the days before it (date=), from the start.
    const chartRequests = { today: 0, past: 0 }
    page.on('request', (r) => {
      const url = new URL(r.url())
      if (url.pathname !== '/v1/charts/daily') return
      if (url.searchParams.has('date')) chartRequests.past++
      else if (url.searchParams.get('limit') === '10') chartRequests.today++
    })

    // The first screen, nothing typed: today's totals, the week's bars in both parts, the top lists, the watermark.
    await page.goto(`${base}/`)
    const totals = page.getByTestId('overview-totals')
    await expect.poll(() => totals.innerText()).toContain(today.totals.plays.toLocaleString('en-US'))
    expect(await totals.innerText()).toContain(`${today.totals.parts.batch.plays.toLocaleString('en-US')} batch + `)
    const week = page.getByTestId('chart-week')
    await week.locator('canvas').waitFor()
    expect(await week.getAttribute('data-points')).toBe('7')
    expect(Number(await week.getAttribute('data-batch'))).toBeGreaterThan(0) // the past days: the batch's
    expect(Number(await week.getAttribute('data-realtime'))).toBe(LIVE)
    const topSongs = page.locator('#top-songs li a[data-id]')
    await expect.poll(() => topSongs.count()).toBe(Math.min(10, today.totals.entries))
    await expect.poll(() => page.locator('#top-artists li a[data-id]').count()).toBeGreaterThan(0)
    expect(await page.locator('#top-songs li .move').count()).toBe(await topSongs.count())
    const w = `${new Date(history.watermark).toISOString().slice(0, 16).replace('T', ' ')} UTC`
    expect(await page.getByTestId('watermark-line').innerText()).toBe(
      `Events that arrived before ${w} come from the nightly batch; since then, from the live speed layer.`,
    )
    expect(await page.getByTestId('overview-empty').isHidden()).toBe(true)
    await expect.poll(() => page.locator('#overview-eps').innerText()).not.toBe('–')
    await fits(page, 1280)
    await screenshot(page, 'dashboard-overview.png')

    // Refreshed every few seconds, today's charts are asked for again; the six days before it are not, while the
    // watermark stays (overview.js asks for them again within a minute or on a new watermark).
    await expect.poll(() => chartRequests.today, { timeout: 20_000, interval: 500 }).toBeGreaterThanOrEqual(6)
    expect(chartRequests.past).toBe(6)

    // Search by keyboard only: "/" focuses the box, ArrowDown reaches the song, Enter opens its report.
    await page.keyboard.press('/')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('q')
    await page.keyboard.type(song.title)
    const hits = (await (await fetch(`${base}/v1/search?q=${encodeURIComponent(song.title)}`)).json()) as {
      results: Array<{ kind: string; id: string }>
    }
    const at = hits.results.findIndex((h) => h.kind === 'song' && h.id === song.songId)
    expect(at).toBeGreaterThanOrEqual(0)
    await page.locator(`#results [role="option"][data-id="${song.songId}"]`).waitFor()
    expect(await page.locator('#q').getAttribute('aria-expanded')).toBe('true')
    for (let k = 0; k <= at; k++) await page.keyboard.press('ArrowDown')
    expect(await page.locator('#q').getAttribute('aria-activedescendant')).toBe(`result-${at}`)
    expect(await page.locator(`#result-${at}`).getAttribute('aria-selected')).toBe('true')
    await page.keyboard.press('Enter')
    await expect.poll(() => page.locator('#report-title').innerText()).toBe(`Song: ${song.title}`)
    const plays = page.getByTestId('chart-plays')
    await plays.locator('canvas').waitFor()
    expect(await plays.getAttribute('data-points')).toBe('30')
    expect(Number(await plays.getAttribute('data-realtime'))).toBe(LIVE / 2)
    expect(await page.getByTestId('overview').isHidden()).toBe(true)
    expect(new URL(page.url()).searchParams.get('song')).toBe(song.songId)

    // The URL shared: another browser context opens the same report; back returns to the overview.
    const shared = page.url()
    const other = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    await other.goto(shared)
    await expect.poll(() => other.locator('#report-title').innerText()).toBe(`Song: ${song.title}`)
    await other.getByTestId('chart-plays').locator('canvas').waitFor()
    await page.reload()
    await expect.poll(() => page.locator('#report-title').innerText()).toBe(`Song: ${song.title}`)
    await page.goBack()
    await expect.poll(() => page.getByTestId('overview').isVisible()).toBe(true)
    expect(await page.locator('#report-page').isHidden()).toBe(true)
    // A top-list row opens its view, as a search does.
    await topSongs.first().click()
    await expect.poll(() => page.locator('#report-title').innerText()).toBe(`Song: ${today.entries[0]!.name}`)

    // A phone: the panels stack and nothing is wider than the screen, on the overview and on a report.
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })
    pageErrors(phone, errors)
    await phone.goto(`${base}/`)
    await phone.getByTestId('chart-week').locator('canvas').waitFor()
    await expect.poll(() => phone.locator('#top-songs li a[data-id]').count()).toBeGreaterThan(0)
    await fits(phone, 390)
    await screenshot(phone, 'dashboard-phone.png')
    await phone.goto(shared)
    await phone.getByTestId('chart-plays').locator('canvas').waitFor()
    await expect.poll(() => phone.locator('#map path.country').count()).toBeGreaterThan(100)
    await fits(phone, 390)
    expect(errors).toEqual([])
  })
})
