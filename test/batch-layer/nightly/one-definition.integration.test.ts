/**
 * The one-definition test (ARCHITECTURE.md, "Days and metrics"): the speed layer's counters and the batch SQL,
 * both driven by shared/metrics.ts, give the same numbers over the same events — duplicates and late events
 * included. The speed side runs in-process here (its PartitionState and DayAccumulator, fed the events in
 * partition/offset order as its consumer would), so no Kafka is needed to compare the two computations.
 */
import { describe, expect, it } from 'vitest'
import { runBatch } from '../../../batch-layer/nightly/run.ts'
import { Contribution, DayAccumulator } from '../../../speed-layer/counters.ts'
import { PartitionState } from '../../../speed-layer/partition-state.ts'
import { openLake } from '../../../shared/lake.ts'
import { DAY_MS, HOUR_MS } from '../../../shared/layout.ts'
import { createLogger } from '../../../shared/logger.ts'
import type { MetricValues } from '../../../shared/metrics.ts'
import { readViewsManifest } from '../../../shared/views.ts'
import { testConfig } from '../../helpers.ts'
import { duplicateOf, groundTruth, makeEvents, readView, writeArchive, writeProgress, type ArchivedEvent } from './fixture.ts'

const T0 = Date.parse('2024-03-01T21:00:00Z')
const W = T0 + 4 * HOUR_MS

function speedCounters(events: readonly ArchivedEvent[], partitions: number): Record<'song_daily' | 'artist_daily', Map<string, MetricValues>> {
  const states = Array.from({ length: partitions }, (_, p) => new PartitionState({
    partition: p, heldFrom: 0, startOffset: 0, endOffset: 0, dedupWindow: 100_000, bucketMs: HOUR_MS,
  }))
  const c = new Contribution()
  for (const e of [...events].sort((a, b) => a.partition - b.partition || a.offset - b.offset)) {
    states[e.partition]!.apply(e, e.arrivedAt, e.songId, e.artistId, c, e.arrivedAt)
  }
  const out = { song_daily: new Map<string, MetricValues>(), artist_daily: new Map<string, MetricValues>() }
  for (const [view, kind] of [['song_daily', 'song'], ['artist_daily', 'artist']] as const) {
    const keys = new Set<string>()
    for (const s of states) for (const b of s.bucketsFrom(0)) for (const [day, byKey] of b[kind]) for (const k of byKey.keys()) keys.add(`${day}|${k}`)
    for (const dk of keys) {
      const [day, key] = dk.split('|') as [string, string]
      const acc = new DayAccumulator()
      for (const s of states) {
        for (const b of s.bucketsFrom(0)) {
          const cell = b[kind].get(Number(day))?.get(key)
          if (cell) acc.addCell(cell)
        }
        acc.endPartition()
      }
      out[view].set(`${new Date(Number(day) * DAY_MS).toISOString().slice(0, 10)}|${key}`, acc.values())
    }
  }
  return out
}

describe('one metric definition', () => {
  it('the speed layer counters and the batch SQL agree over the same events', async () => {
    const config = testConfig({ KAFKA_PARTITIONS: '3' })
    const lake = openLake(config)
    const base = makeEvents({ n: 600, seed: 21, arrivalFrom: T0, arrivalSpanMs: 3 * HOUR_MS, lateMs: 26 * HOUR_MS, partitions: 3 })
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
