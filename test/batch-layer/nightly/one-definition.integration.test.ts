/**
 * The one-definition test (docs/ARCHITECTURE.md#days-and-metrics): the speed layer's counters and the batch SQL,
 * both driven by shared/metrics.ts, give the same numbers over the same events — duplicates and late events
 * included; and so do their breakdowns by every dimension of shared/dimensions.ts (crosses included) against
 * test/support/oracle.ts. The speed side runs in-process here (its SpeedEngine, fed the events in partition/offset order as
 * its consumer would), so no Kafka is needed to compare the two computations.
 */
import { describe, expect, it } from 'vitest'
import { runBatch } from '../../../batch-layer/nightly/run.ts'
import { formatDay } from '../../../shared/day.ts'
import { DIMENSION_NAMES } from '../../../shared/dimensions.ts'
import { SpeedEngine } from '../../../speed-layer/engine.ts'
import { openLake } from '../../../shared/lake.ts'
import { DAY_MS, HOUR_MS } from '../../../shared/layout.ts'
import { createLogger } from '../../../shared/logger.ts'
import type { MetricValues } from '../../../shared/metrics.ts'
import { readViewsManifest } from '../../../shared/views.ts'
import { testConfig } from '../../helpers.ts'
import { writeListeners, type ListenerProfile } from '../../../shared/catalog/listeners.ts'
import { breakdownOracle } from '../../support/oracle.ts'
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
/** Profiles for u0..u4; u5 and u6 have none, so their events count under `unknown`. */
const PROFILES: ListenerProfile[] = [
  { userId: 'u0', country: 'BR', birthYear: 2000, gender: 'female', tier: 'premium', signupDate: '2020-01-01' },
  { userId: 'u1', country: null, birthYear: 1950, gender: 'male', tier: 'free', signupDate: null },
  { userId: 'u2', country: 'JP', birthYear: null, gender: 'unspecified', tier: 'free', signupDate: null },
  { userId: 'u3', country: 'SE', birthYear: 2015, gender: 'non-binary', tier: 'premium', signupDate: null },
  { userId: 'u4', country: 'US', birthYear: 1985, gender: 'female', tier: 'free', signupDate: '2024-01-01' },
]

/** A breakdown view keyed like breakdownOracle: `kind:id|day|dimension|value`. */
function breakdownKeys(kind: 'song' | 'artist', rows: Map<string, MetricValues>): Record<string, MetricValues> {
  return Object.fromEntries(
    [...rows].map(([k, v]) => {
      const [day, id, ...rest] = k.split('|')
      return [`${kind}:${id!}|${day!}|${rest.join('|')}`, v]
    }),
  )
}
const W = T0 + 4 * HOUR_MS

function speedCounters(
  events: readonly ArchivedEvent[],
  partitions: number,
): Record<'song_daily' | 'artist_daily', Map<string, MetricValues>> & { breakdowns: Record<string, MetricValues> } {
  const songs = new Map(events.map((e) => [e.songId, e.artistId] as const))
  const engine = new SpeedEngine({ songs: [...songs], dedupWindow: 100_000, bucketMs: HOUR_MS, profiles: PROFILES })
  const all = Array.from({ length: partitions }, (_, p) => p)
  for (const p of all) engine.assign(p, 0)
  for (const e of [...events].sort((a, b) => a.partition - b.partition || a.offset - b.offset))
    engine.applyEvent(e.partition, e, e.arrivedAt, e.arrivedAt)
  const days = events.map((e) => Math.floor(e.ts / DAY_MS))
  const range = { partitions: all, watermark: 0, fromDay: Math.min(...days), toDay: Math.max(...days) }
  const out = {
    song_daily: new Map<string, MetricValues>(),
    artist_daily: new Map<string, MetricValues>(),
    breakdowns: {} as Record<string, MetricValues>,
  }
  for (const [view, kind, ids] of [
    ['song_daily', 'song', songs.keys()],
    ['artist_daily', 'artist', new Set(songs.values())],
  ] as const) {
    for (const id of ids) {
      for (const [day, values] of engine.daily({ ...range, kind, id })) out[view].set(`${formatDay(day)}|${id}`, values)
      for (const dimension of DIMENSION_NAMES) {
        for (const [day, value, values] of engine.breakdown({ ...range, kind, id, dimension })) {
          out.breakdowns[`${kind}:${id}|${formatDay(day)}|${dimension}|${value}`] = values
        }
      }
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
    await writeListeners(config, lake, PROFILES)
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
    const artistOf = (id: string): string => events.find((e) => e.songId === id)!.artistId
    const firstArrivals = [...events].sort(
      (a, b) => a.arrivedAt - b.arrivedAt || a.partition - b.partition || a.offset - b.offset,
    )
    const truth = Object.fromEntries(
      breakdownOracle(firstArrivals, artistOf, new Map(PROFILES.map((p) => [p.userId, p]))),
    )
    const batchBreakdowns = {
      ...breakdownKeys('song', await readView(config, lake, manifest, 'song_breakdown_daily')),
      ...breakdownKeys('artist', await readView(config, lake, manifest, 'artist_breakdown_daily')),
    }
    // The profile dimensions, and the age × gender cross with a part unknown, a known pair and no profile at all.
    for (const end of ['|tier|unknown', '|age|65+', '|age_gender|65+|male', '|age_gender|unknown|non-binary'])
      expect(
        Object.keys(truth).some((k) => k.endsWith(end)),
        end,
      ).toBe(true)
    expect(Object.keys(truth).some((k) => k.endsWith('|age_gender|unknown'))).toBe(true)
    expect(batchBreakdowns).toEqual(truth)
    // An event that adds to no metric (a pause without msPlayed) leaves an all-zero row in SQL and no cell in the
    // speed layer; a reader sees zeros either way.
    const nonZero = Object.fromEntries(Object.entries(truth).filter(([, v]) => Object.values(v).some((x) => x !== 0)))
    expect(speed.breakdowns).toEqual(nonZero)
    // Late events (up to 26 h) put part of the counts on the day before.
    expect(manifest.days).toEqual({ from: '2024-02-29', to: '2024-03-01' })
    lake.close()
  })
})
