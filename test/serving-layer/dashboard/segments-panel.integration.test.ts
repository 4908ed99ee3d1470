/**
 * The dashboard's segments panel in real headless Chromium over a segments run in a local lake: each segment's
 * premium share among its members with a profile, and none shown where no member's tier is known.
 */
import { describe, expect, it } from 'vitest'
import { catalog } from '../../speed-layer/fixtures.ts'
import { testConfig } from '../../helpers.ts'
import { startTestServing } from '../support/app.ts'
import { launchChromium } from '../support/chromium.ts'
import { HABIT_CENTROID, putSegments } from '../support/segments.ts'

describe('the dashboard segments panel', () => {
  it('shows the premium share of each segment', async () => {
    const config = testConfig({ PORT: '0' })
    await putSegments(
      config,
      `SELECT * FROM (VALUES ('u1', 20.0, 5.0, 0.6, 0.4, 0.1, 1.0, 1.0, 0, 'skippers'), ('u35', 20.0, 5.0, 0.6, 0.4, 0.1, 1.0, NULL, 1, 'explorers'))
        AS t(user_id, plays_per_active_day, distinct_artists, skip_rate, complete_share, night_share, days_since_last_play, premium, segment, segment_name)`,
      {
        k: 2,
        listeners: 4,
        segments: [
          {
            segment: 0,
            name: 'skippers',
            size: 3,
            centroid: { ...HABIT_CENTROID, premium: 0.4 },
            profiles: 3,
            topArtists: [],
          },
          {
            segment: 1,
            name: 'explorers',
            size: 1,
            centroid: { ...HABIT_CENTROID, premium: null },
            profiles: 0,
            topArtists: [],
          },
        ],
      },
    )
    const { app } = await startTestServing(config, { catalog, realtime: [] }, { dashboard: true })
    const base = await app.listen({ port: 0, host: '127.0.0.1' })

    const page = await (await launchChromium()).newPage()
    await page.goto(`${base}/`)
    const rows = page.locator('#segments tr')
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(2)
    expect(await rows.nth(0).innerText()).toContain('3 (75%), 40% premium')
    expect(await rows.nth(1).innerText()).not.toContain('premium')
  })
})
