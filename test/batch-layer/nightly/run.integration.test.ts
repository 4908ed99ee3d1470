import { describe, expect, it } from 'vitest'
import { createLogger } from '../../../shared/logger.ts'
import { openLake } from '../../../shared/lake.ts'
import { HOUR_MS } from '../../../shared/layout.ts'
import { readViewsManifest, viewFiles } from '../../../shared/views.ts'
import { readLatestSegments } from '../../../shared/segments.ts'
import { runBatch } from '../../../batch-layer/nightly/run.ts'
import { readRunHistory } from '../../../batch-layer/nightly/history.ts'
import { testConfig, testS3Config } from '../../helpers.ts'
import {
  duplicateOf,
  groundTruth,
  makeEvents,
  queryLake,
  readView,
  writeArchive,
  writeProgress,
  type ArchivedEvent,
} from './fixture.ts'

const log = createLogger({ level: 'silent' })
const T0 = Date.parse('2024-03-01T22:00:00Z')
const W1 = T0 + 2 * HOUR_MS // 2024-03-02T00:00Z
const W2 = W1 + 2 * HOUR_MS
const GROUPED = ['song_daily', 'artist_daily', 'artist_country_daily', 'song_device_daily']

async function expectViewsEqualTruth(
  config: ReturnType<typeof testConfig>,
  lake: ReturnType<typeof openLake>,
  events: ArchivedEvent[],
  w: number,
): Promise<void> {
  const manifest = await readViewsManifest(lake)
  expect(manifest?.watermark).toBe(w)
  const truth = groundTruth(events, w)
  for (const view of GROUPED) {
    const actual = await readView(config, lake, manifest!, view)
    expect(Object.fromEntries([...actual].sort()), view).toEqual(Object.fromEntries([...truth[view]!].sort()))
  }
}

describe('runBatch', () => {
  it('builds every view equal to the ground truth, deduplicates, restates late events, and re-runs identically', async () => {
    const config = testConfig({ KAFKA_PARTITIONS: '2' })
    const lake = openLake(config)
    expect((await runBatch(config, { lake, log })).status).toBe('noop')

    const first = makeEvents({ n: 400, seed: 7, arrivalFrom: T0, arrivalSpanMs: 2 * HOUR_MS, partitions: 2 })
    // Retries: the same events again, some within the first batch, some arriving after W1.
    const dupsEarly = first
      .slice(0, 20)
      .map((e, i) => duplicateOf(e, 1000, 10_000 + i))
      .filter((e) => e.arrivedAt < W1)
    const dupsLate = first
      .slice(20, 40)
      .map((e, i) => ({ ...duplicateOf(e, 0, 20_000 + i), arrivedAt: W1 + 60_000 + i }))
    await writeArchive(config, lake, [...first, ...dupsEarly])
    await writeProgress(config, lake, W1, [0])
    // Partition 1 has no progress document yet: W is the minimum over ALL partitions, so still 0.
    expect((await runBatch(config, { lake, log })).watermarkAfter).toBe(0)

    await writeProgress(config, lake, W1)
    const run1 = await runBatch(config, { lake, log }, { trigger: 'cli' })
    expect(run1).toMatchObject({ status: 'ok', watermarkBefore: 0, watermarkAfter: W1, daysRecomputed: ['2024-03-01'] })
    expect(run1.duplicatesDropped).toBe(dupsEarly.length)
    expect(run1.rowsRead).toBe(first.length + dupsEarly.length)
    await expectViewsEqualTruth(config, lake, [...first, ...dupsEarly], W1)
    // After the views, the listener segments of the last complete day before W (docs/ARCHITECTURE.md#segments).
    expect((await readLatestSegments(lake))?.asOf).toBe('2024-03-01')

    // Next hours: new events, some of them hours late (event day 2024-03-01), and the late retries.
    const second = makeEvents({
      n: 300,
      seed: 11,
      arrivalFrom: W1,
      arrivalSpanMs: 2 * HOUR_MS,
      lateMs: 3 * HOUR_MS,
      partitions: 2,
      firstOffset: 1000,
    })
    const all = [...first, ...dupsEarly, ...second, ...dupsLate]
    await writeArchive(config, lake, [...second, ...dupsLate])
    await writeProgress(config, lake, W2, [0])
    expect((await runBatch(config, { lake, log })).status).toBe('noop')
    await writeProgress(config, lake, W2, [1])
    const run2 = await runBatch(config, { lake, log })
    expect(run2).toMatchObject({
      status: 'ok',
      watermarkBefore: W1,
      watermarkAfter: W2,
      daysRecomputed: ['2024-03-01', '2024-03-02'],
    })
    expect(run2.duplicatesDropped).toBe(dupsEarly.length + dupsLate.length)
    await expectViewsEqualTruth(config, lake, all, W2)
    const m2 = (await readViewsManifest(lake))!
    expect(m2).toMatchObject({
      runId: run2.runId,
      previousWatermark: W1,
      days: { from: '2024-03-01', to: '2024-03-02' },
    })

    // Top songs: ranked by plays, then listeners, then id.
    const truth = groundTruth(all, W2).song_daily!
    const expectedTop = [...truth]
      .filter(([k]) => k.startsWith('2024-03-02|'))
      .sort(([ka, a], [kb, b]) => b.plays - a.plays || b.listeners - a.listeners || ka.localeCompare(kb))
      .map(([k]) => k.split('|')[1])
    const top = await queryLake(
      config,
      `SELECT song_id FROM read_parquet('${lake.location(viewFiles(m2, 'top_songs_daily', { from: '2024-03-02' })[0]!)}') ORDER BY rank`,
    )
    expect(top.map((r) => r.song_id)).toEqual(expectedTop)

    // Asking for one day rewrites only that day; the other day's files are reused from the previous manifest.
    const run3 = await runBatch(config, { lake, log }, { dates: ['2024-03-02'] })
    expect(run3.daysRecomputed).toEqual(['2024-03-02'])
    const m3 = (await readViewsManifest(lake))!
    expect(viewFiles(m3, 'song_daily', { to: '2024-03-01' })).toEqual(viewFiles(m2, 'song_daily', { to: '2024-03-01' }))
    expect(viewFiles(m3, 'song_daily', { from: '2024-03-02' })[0]).toContain(run3.runId)
    await expectViewsEqualTruth(config, lake, all, W2)
    // A backfill re-run of both days gives identical views.
    const before = await readView(config, lake, m3, 'song_device_daily')
    await runBatch(config, { lake, log }, { from: '2024-03-01', to: '2024-03-02' })
    expect(await readView(config, lake, (await readViewsManifest(lake))!, 'song_device_daily')).toEqual(before)

    const history = await readRunHistory(lake)
    expect(history.map((h) => h.status)).toEqual(['noop', 'noop', 'ok', 'noop', 'ok', 'ok', 'ok'])
    expect(history[2]).toMatchObject({ runId: run1.runId, trigger: 'cli', watermarkAfter: W1, rowsRead: run1.rowsRead })
    // Only the current and the previous manifest's runs keep files.
    const m4 = (await readViewsManifest(lake))!
    const named = new Set(
      [m3, m4].flatMap((m) => [...Object.values(m.views).flat(), `views/runs/${m.runId}/file-days.json`]),
    )
    expect((await lake.list('views/runs/')).filter((k) => !named.has(k))).toEqual([])
    expect(named.size).toBeGreaterThan(0)
    lake.close()
  })

  it('works the same over an S3 lake', async () => {
    const config = await testS3Config({ KAFKA_PARTITIONS: '2' })
    const lake = openLake(config)
    const events = makeEvents({
      n: 200,
      seed: 3,
      arrivalFrom: T0,
      arrivalSpanMs: 2 * HOUR_MS,
      lateMs: 30 * HOUR_MS,
      partitions: 2,
    })
    await writeArchive(config, lake, events)
    await writeProgress(config, lake, W1)
    const run = await runBatch(config, { lake, log })
    expect(run).toMatchObject({ status: 'ok', watermarkAfter: W1, rowsRead: events.length })
    expect(run.daysRecomputed).toEqual(['2024-02-29', '2024-03-01'])
    await expectViewsEqualTruth(config, lake, events, W1)
    lake.close()
  })

  it('refuses a bad date before touching anything', async () => {
    const config = testConfig()
    const lake = openLake(config)
    await expect(runBatch(config, { lake, log }, { dates: ['2024-02-30'] })).rejects.toMatchObject({
      code: 'PLAYCOUNT_BAD_REQUEST',
    })
    await expect(runBatch(config, { lake, log }, { from: '2024-03-02', to: '2024-03-01' })).rejects.toMatchObject({
      code: 'PLAYCOUNT_BAD_REQUEST',
    })
    expect(await lake.list('views/')).toEqual([])
  })
})
