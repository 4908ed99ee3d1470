/**
 * The one-definition test (docs/ARCHITECTURE.md#days-and-metrics): the speed layer's counters and the batch SQL,
 * both driven by shared/metrics.ts, give the same numbers over the same events — duplicates and late events
 * included. The speed side runs in-process here (its SpeedEngine, fed the events in partition/offset order as
 * its consumer would), so no Kafka is needed to compare the two computations.
 */
import { describe, expect, it } from 'vitest'
import { runBatch } from '../../../batch-layer/nightly/run.ts'
import { formatDay } from '../../../shared/day.ts'
import { SpeedEngine } from '../../../speed-layer/engine.ts'
import { openLake } from '../../../shared/lake.ts'
import { DAY_MS, HOUR_MS } from '../../../shared/layout.ts'
import { createLogger } from '../../../shared/logger.ts'
import type { MetricValues } from '../../../shared/metrics.ts'
import { readViewsManifest } from '../../../shared/views.ts'
import { testConfig } from '../../helpers.ts'
import {
  duplicateOf,
  groundTruth,
  makeEvents,
  readView,
  writeArchive,
  writeProgress,
  type ArchivedEvent,
} from './fixture.ts'

const T0 = Date.parse('2024-03-01T21:00:00Z')
const W = T0 + 4 * HOUR_MS

function speedCounters(
  events: readonly ArchivedEvent[],
  partitions: number,
): Record<'song_daily' | 'artist_daily', Map<string, MetricValues>> {
  const songs = new Map(events.map((e) => [e.songId, e.artistId] as const))
  const engine = new SpeedEngine({ songs: [...songs], dedupWindow: 100_000, bucketMs: HOUR_MS })
  const all = Array.from({ length: partitions }, (_, p) => p)
  for (const p of all) engine.assign(p, 0)
  for (const e of [...events].sort((a, b) => a.partition - b.partition || a.offset - b.offset))
    engine.applyEvent(e.partition, e, e.arrivedAt, e.arrivedAt)
  const days = events.map((e) => Math.floor(e.ts / DAY_MS))
  const range = { partitions: all, watermark: 0, fromDay: Math.min(...days), toDay: Math.max(...days) }
  const out = { song_daily: new Map<string, MetricValues>(), artist_daily: new Map<string, MetricValues>() }
  for (const [view, kind, ids] of [
    ['song_daily', 'song', songs.keys()],
    ['artist_daily', 'artist', new Set(songs.values())],
  ] as const) {
    for (const id of ids) {
      for (const [day, values] of engine.daily({ ...range, kind, id })) out[view].set(`${formatDay(day)}|${id}`, values)
    }
  }
  return out
}

describe('one metric definition', () => {
  it('the speed layer counters and the batch SQL agree over the same events', async () => {
    const config = testConfig({ KAFKA_PARTITIONS: '3' })
    const lake = openLake(config)
    const base = makeEvents({
      n: 600,
      seed: 21,
      arrivalFrom: T0,
      arrivalSpanMs: 3 * HOUR_MS,
      lateMs: 26 * HOUR_MS,
      partitions: 3,
    })
    // Retries land on the same partition (the Kafka key is the userId), later in the log.
    const retries = base.filter((_, i) => i % 17 === 0).map((e, i) => duplicateOf(e, 20 * 60_000, 5_000 + i))
    const events = [...base, ...retries].filter((e) => e.arrivedAt < W)
    await writeArchive(config, lake, events)
    await writeProgress(config, lake, W)
    await runBatch(config, { lake, log: createLogger({ level: 'silent' }) })
    const manifest = (await readViewsManifest(lake))!
    const speed = speedCounters(events, 3)
    const reference = groundTruth(events, W)
    for (const view of ['song_daily', 'artist_daily'] as const) {
      const batch = Object.fromEntries([...(await readView(config, lake, manifest, view))].sort())
      expect(batch, view).toEqual(Object.fromEntries([...speed[view]].sort()))
      expect(batch, view).toEqual(Object.fromEntries([...reference[view]!].sort()))
    }
    // Late events (up to 26 h) put part of the counts on the day before.
    expect(manifest.days).toEqual({ from: '2024-02-29', to: '2024-03-01' })
    lake.close()
  })
})
