/**
 * The dashboard end to end in real headless Chromium (Debian's, driven by playwright-core): the whole pipeline in
 * one process (speed, serve, ingest) on a test topic, events through the collector, then a person's path — the
 * page loads, a search finds the artist, the daily chart has one point per day of the range, the live panel
 * fills, and the console stays clean. The screenshot is kept in test-results/.
 */
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { buildPipeline } from '../../../cli/pipeline.ts'
import { DIMENSIONS, dimensionValue } from '../../../shared/dimensions.ts'
import type { ListenEvent } from '../../../shared/event.ts'
import { DAY_MS, dayOf } from '../../../shared/layout.ts'
import { createLogger } from '../../../shared/logger.ts'
import { cleanupTopics, eventually, testConfig } from '../../helpers.ts'
import { writeDefaultCatalog } from '../support/catalog.ts'
import { addKeys } from '../support/keys.ts'
import { launchChromium, pageErrors } from '../support/chromium.ts'

const ARTIFACTS = path.join('test-results', 'dashboard')

describe('the dashboard', () => {
  it('loads, searches, draws the daily chart with one point per day, and the live panel, without console errors', async () => {
    const config = testConfig({ PORT: '0', KAFKA_PARTITIONS: '2' })
    cleanupTopics(config)
    const pipeline = await buildPipeline(config, ['speed', 'serve', 'ingest'], createLogger({ level: 'silent' }), {
      createDefaultCatalog: true,
    })
    const base = await pipeline.start()
    onTestFinished(() => pipeline.stop())

    // A week of plays for the most popular artist's songs, through the collector.
    const artist = [...pipeline.catalog.artists.values()][0]!
    const songs = pipeline.catalog.songsOf(artist.artistId).slice(0, 3)
    const now = Date.now()
    // Nine listeners with profiles (the default catalog's), so the age × gender bars have pairs to draw.
    const listeners = pipeline.catalog.listeners.slice(0, 9)
    const events = Array.from({ length: 70 }, (_, i): ListenEvent => ({
      eventId: `dash-${i}`,
      ts: now - (i % 7) * DAY_MS - 60_000,
      userId: listeners[i % 9]!.userId,
      songId: songs[i % songs.length]!.songId,
      type: i % 5 === 4 ? 'skip' : 'play',
      msPlayed: 30_000,
      device: 'web',
      country: 'DE',
    }))
    // A fan plays another artist's song three times within one 30-minute window: one repeat-play signal (the default rule).
    const window = 30 * 60_000
    let windowStart = now - (now % window)
    if (now - windowStart < 60_000) windowStart -= window
    const fanSong = [...pipeline.catalog.songs.values()].find((x) => x.artistId !== artist.artistId)!
    const fan = [0, 1, 2].map((k) => ({
      eventId: `dash-fan-${k}`,
      ts: windowStart + k * 1000,
      userId: 'fan',
      songId: fanSong.songId,
      type: 'play',
    }))
    const res = await fetch(`${base}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([...events, ...fan]),
    })
    expect(res.status).toBe(202)
    await eventually(
      async () => {
        const r = (await (
          await fetch(`${base}/v1/artists/${artist.artistId}/daily?from=${dayOf(now - 6 * DAY_MS)}&to=${dayOf(now)}`)
        ).json()) as { totals: { plays: number } }
        return r.totals.plays === 56 ? true : undefined
      },
      30_000,
      'the realtime view to count the 56 plays',
    )

    const browser = await launchChromium()
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    const consoleErrors = pageErrors(page)

    await page.goto(`${base}/`)
    await page.fill('#q', artist.name)
    await page.locator(`#results li[data-id="${artist.artistId}"]`).click()
    const chart = page.locator('#chart-plays')
    await chart.locator('canvas').waitFor()
    // The report's range, as a person narrows it: the chart follows.
    await page.fill('#from', dayOf(now - 6 * DAY_MS))
    await page.fill('#to', dayOf(now))
    await expect.poll(() => chart.getAttribute('data-points')).toBe('7')
    await expect.poll(() => page.locator('#totals').innerText()).toContain('56')
    await expect.poll(() => page.locator('#trending-5m li').count(), { timeout: 15_000 }).toBeGreaterThan(0)
    expect(await page.locator('#chart-listeners canvas').count()).toBe(1)
    expect(await page.locator('#chart-eps canvas').count()).toBe(1)
    // The marketing panels: the fan's signal with the song's title; no segments before a nightly run.
    await expect
      .poll(() => page.locator('#signals-latest li').first().innerText(), { timeout: 15_000 })
      .toContain(`fan: ${fanSong.title}`)
    expect(await page.locator('#signals-empty').isVisible()).toBe(false)
    await expect.poll(() => page.locator('#segments-asof').innerText()).toContain('no segments yet')

    // The audience panels: the world map's countries (Germany, 276, coloured), 24 hour bars, the URL names the view.
    await expect.poll(() => page.locator('#map path.country').count()).toBeGreaterThan(100)
    expect(await page.locator('#map path[data-id="276"]').getAttribute('fill')).not.toBe('#2a3040')
    await expect.poll(() => page.locator('#countries tr').first().innerText()).toContain('DE')
    expect(await page.locator('#chart-hours').getAttribute('data-bars')).toBe('24')
    expect(await page.locator('#chart-hours canvas').count()).toBe(1)
    expect(await page.locator('#devices .share[data-value="web"]').count()).toBe(1)
    // Age × gender: age bands on the axis, one bar per gender in each, from the one by=age_gender request.
    const ageGender = DIMENSIONS.find((d) => d.name === 'age_gender')!
    const pairs = events.map((e) => dimensionValue(ageGender, e, pipeline.catalog.profileOf(e.userId)).split('|'))
    const ages = new Set(pairs.map(([a]) => a)).size
    const genders = new Set(pairs.map(([, g = 'unknown']) => g)).size
    expect(ages * genders).toBeGreaterThan(1)
    await expect.poll(() => page.locator('#age-gender .group').count()).toBe(ages)
    expect(await page.locator('#age-gender .group .bar').count()).toBe(ages * genders)
    const [age, gender = 'unknown'] = pairs[0]!
    expect(await page.locator(`#age-gender .group[data-age="${age}"] .bar[data-gender="${gender}"]`).count()).toBe(1)
    expect(new URL(page.url()).searchParams.get('artist')).toBe(artist.artistId)

    fs.mkdirSync(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png'), fullPage: true })

    // The charts page: today's top songs; a row opens its song's view and the URL names it.
    await page.goto(`${base}/#charts`)
    const top = songs[0]!
    const row = page.locator(`#charts-songs a[data-id="${top.songId}"]`)
    await row.waitFor()
    await page.screenshot({ path: path.join(ARTIFACTS, 'charts.png'), fullPage: true })
    // A past day through the date input: the URL names it, and a reload keeps it.
    const yesterday = dayOf(now - DAY_MS)
    await page.fill('#charts-date', yesterday)
    await expect.poll(() => page.locator('#charts-title').innerText()).toContain(`Top 50 of ${yesterday}`)
    expect(new URL(page.url()).hash).toBe(`#charts?date=${yesterday}`)
    await page.reload()
    await expect.poll(() => page.locator('#charts-title').innerText()).toContain(`Top 50 of ${yesterday}`)
    // One country's chart through the select, named in the URL: every play here is from DE, none from JP.
    await page.selectOption('#charts-country', 'JP')
    await expect.poll(() => page.locator('#charts-title').innerText()).toContain(`Top 50 of ${yesterday} in Japan`)
    expect(await page.locator('#charts-songs li').count()).toBe(0)
    await page.selectOption('#charts-country', 'DE')
    await expect.poll(() => page.locator('#charts-title').innerText()).toContain(`Top 50 of ${yesterday} in Germany`)
    expect(new URL(page.url()).hash).toBe(`#charts?date=${yesterday}&country=DE`)
    await row.waitFor()
    await row.click()
    await expect.poll(() => page.locator('#report-title').innerText()).toBe(`Song: ${top.title}`)
    expect(new URL(page.url()).searchParams.get('song')).toBe(top.songId)
    expect(await page.locator('#charts-page').isHidden()).toBe(true)
    // A shared URL restores the view on a reload.
    await page.reload()
    await expect.poll(() => page.locator('#report-title').innerText()).toBe(`Song: ${top.title}`)
    await expect.poll(() => page.locator('#map path.country').count()).toBeGreaterThan(100)
    expect(await page.locator('#chart-hours').getAttribute('data-bars')).toBe('24')
    expect(consoleErrors).toEqual([])
  })

  it('with API_TOKEN set, asks for the token once on the first 401, keeps it, and then shows the data', async () => {
    const token = 'dash-secret'
    const config = testConfig({ PORT: '0', KAFKA_PARTITIONS: '1', API_TOKEN: token })
    cleanupTopics(config)
    await writeDefaultCatalog(config)
    const pipeline = await buildPipeline(config, ['serve'], createLogger({ level: 'silent' }))
    const base = await pipeline.start()
    onTestFinished(() => pipeline.stop())
    const artist = [...pipeline.catalog.artists.values()][0]!

    const browser = await launchChromium()
    const page = await browser.newPage()
    const uncaught: string[] = []
    page.on('pageerror', (e) => uncaught.push(e.message))
    const prompts: string[] = []
    page.on('dialog', (d) => {
      prompts.push(d.message())
      void d.accept(token)
    })

    await page.goto(`${base}/`)
    // The live panel's first calls (status, then trending) get 401: one prompt, then they are answered.
    await expect.poll(() => page.locator('#status').innerText(), { timeout: 15_000 }).toContain('watermark')
    expect(prompts).toEqual(['This playcount API needs a key (API_TOKEN, or one from `playcount keys create`):'])
    expect(await page.evaluate(() => window.localStorage.getItem('playcount.token'))).toBe(token)
    // No events and no batch run yet: the overview says how to get events in, and where numbers will come from.
    await expect
      .poll(() => page.getByTestId('overview-empty').innerText())
      .toBe(
        'No plays today yet. Start the demo and its simulated listeners with `npm start`, or send events to ' +
          'POST /v1/events on this server (README: The event).',
      )
    expect(await page.getByTestId('watermark-line').innerText()).toContain('No batch run yet')
    expect(await page.locator('#top-songs li').innerText()).toBe('No songs played today yet.')
    await page.fill('#q', artist.name)
    await expect.poll(() => page.locator(`#results li[data-id="${artist.artistId}"]`).count()).toBe(1)
    expect(prompts).toHaveLength(1)
    expect(uncaught).toEqual([])
  })

  it("with a key scoped to one artist, shows whose key it is, finds only that artist, and no operators' figures", async () => {
    const config = testConfig({ PORT: '0', KAFKA_PARTITIONS: '1' })
    cleanupTopics(config)
    await writeDefaultCatalog(config)
    const pipeline = await buildPipeline(config, ['serve'], createLogger({ level: 'silent' }))
    const [mine, other] = [...pipeline.catalog.artists.values()]
    // Written before start, which loads the store again.
    const { label } = await addKeys(config, [
      { name: 'label', role: 'reader', artists: [mine!.artistId], label: 'Label A' },
    ])
    const base = await pipeline.start()
    onTestFinished(() => pipeline.stop())

    const browser = await launchChromium()
    const page = await browser.newPage()
    const uncaught: string[] = []
    page.on('pageerror', (e) => uncaught.push(e.message))
    await page.goto(`${base}/?token=${encodeURIComponent(label)}`)
    await expect
      .poll(() => page.locator('#key').innerText(), { timeout: 15_000 })
      .toBe('key label (reader, Label A; 1 artist)')
    expect(await page.locator('#live-figures').isHidden()).toBe(true)
    expect(await page.locator('.signals-panel').isHidden()).toBe(true)
    expect(await page.locator('.segments-panel').isHidden()).toBe(true)
    await page.fill('#q', mine!.name)
    await expect.poll(() => page.locator(`#results li[data-id="${mine!.artistId}"]`).count()).toBe(1)
    await page.fill('#q', other!.name)
    await expect
      .poll(() => page.locator('#results li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-id'))))
      .not.toContain(other!.artistId)
    expect(await page.locator(`#results li[data-id="${other!.artistId}"]`).count()).toBe(0)
    expect(uncaught).toEqual([])
  })
})
