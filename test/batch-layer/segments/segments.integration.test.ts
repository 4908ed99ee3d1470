/**
 * Nightly listener segments over simulated listeners with habits (tools/simulator/habits.ts): written to the lake,
 * stable for a seed, queryable in `playcount sql`, and each habit lands mostly in one segment of its own; the premium
 * feature is each listener's catalog tier (unknown without a profile) and does not move anyone's segment.
 */
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { runBatch } from '../../../batch-layer/nightly/run.ts'
import { computeSegments } from '../../../batch-layer/segments/segments.ts'
import { openSqlSession } from '../../../batch-layer/sql/session.ts'
import { Catalog } from '../../../shared/catalog/catalog.ts'
import { generateCatalog } from '../../../shared/catalog/generate.ts'
import { generateListeners, writeListeners } from '../../../shared/catalog/listeners.ts'
import type { Config } from '../../../shared/config.ts'
import { openDuck, quoteLiteral } from '../../../shared/duckdb.ts'
import { openLake, type Lake } from '../../../shared/lake.ts'
import { DAY_MS, eventsFileKey, HOUR_MS } from '../../../shared/layout.ts'
import { createLogger } from '../../../shared/logger.ts'
import { readLatestSegments, type SegmentsRun } from '../../../shared/segments.ts'
import { habitFor, HABITS } from '../../../tools/simulator/habits.ts'
import { simulate } from '../../../tools/simulator/simulate.ts'
import { testConfig, testS3Config } from '../../helpers.ts'
import { makeEvents, writeArchive, writeCatalog, writeProgress } from '../nightly/fixture.ts'

const SEED = 7
const LISTENERS = 240
/** Listeners with a profile: the first ones; the simulator's others have events but no profile. */
const PROFILED = 200
const AS_OF = '2026-03-28'
const END = Date.parse('2026-03-29T00:00:00Z')

/** user_id, segment, segment_name, premium of every listener of the latest run, through `playcount sql`. */
async function segmentRows(config: Readonly<Config>, lake: Lake): Promise<unknown[][]> {
  const sql = await openSqlSession(config, lake)
  try {
    expect(sql.views).toContain('listener_segments')
    return (await sql.query('SELECT user_id, segment, segment_name, premium FROM listener_segments ORDER BY user_id'))
      .rows
  } finally {
    sql.close()
  }
}

describe('listener segments (real DuckDB, local lake)', () => {
  it(
    'put listeners of one habit mostly in one segment of their own, the same for a seed and with or without premium, in playcount sql',
    { timeout: 120_000 },
    async () => {
      const config = testConfig()
      const lake = openLake(config)
      onTestFinished(() => lake.close())
      const profiles = generateListeners({ listeners: PROFILED, seed: 11 })
      let noProfiles: SegmentsRun
      let noProfileRows: unknown[][]
      const g = generateCatalog({ artists: 40, songs: 400, seed: 3 })
      const catalog = new Catalog(g.artists, g.songs)
      // Two weeks of simulated listening, with retries (which must count once), as one archive file of the lake.
      const ndjson = path.join(config.home, 'events.ndjson')
      const out = fs.openSync(ndjson, 'w')
      let offset = 0
      for (const o of simulate({
        catalog,
        listeners: LISTENERS,
        start: END - 14 * DAY_MS,
        durationMs: 14 * DAY_MS,
        seed: SEED,
        duplicates: 0.02,
      })) {
        if (o.event === undefined) continue
        const e = o.event
        fs.writeSync(
          out,
          JSON.stringify({
            event_id: e.eventId,
            ts: new Date(e.ts).toISOString(),
            arrived_at: new Date(o.at).toISOString(),
            user_id: e.userId,
            song_id: e.songId,
            artist_id: catalog.artistOf(e.songId),
            type: e.type,
            ms_played: e.msPlayed ?? null,
            device: e.device ?? null,
            country: e.country ?? null,
            kafka_partition: 0,
            kafka_offset: offset++,
          }) + '\n',
        )
      }
      fs.closeSync(out)
      const key = eventsFileKey(END - 3_600_000, 0, 0)
      fs.mkdirSync(path.dirname(lake.location(key)), { recursive: true })
      const duck = await openDuck(config)
      try {
        await duck.conn
          .run(`COPY (SELECT event_id, ts::TIMESTAMPTZ AS ts, arrived_at::TIMESTAMPTZ AS arrived_at, user_id, song_id, artist_id, type,
        ms_played::INTEGER AS ms_played, device, country, kafka_partition::INTEGER AS kafka_partition, kafka_offset::BIGINT AS kafka_offset
        FROM read_json(${quoteLiteral(ndjson)}, format = 'newline_delimited')) TO ${quoteLiteral(lake.location(key))} (FORMAT parquet)`)
        // No catalog/listeners yet: the job still runs, every listener's tier unknown.
        noProfiles = (await computeSegments(duck.conn, lake, { asOf: AS_OF, tmpDir: config.home, k: 4, seed: 42 }))!
        noProfileRows = await segmentRows(config, lake)
        await writeListeners(config, lake, profiles)
        const first = await computeSegments(duck.conn, lake, { asOf: AS_OF, tmpDir: config.home, k: 4, seed: 42 })
        const again = await computeSegments(duck.conn, lake, { asOf: AS_OF, tmpDir: config.home, k: 4, seed: 42 })
        expect(again).toEqual(first)
        expect(first!.listeners).toBeGreaterThan(LISTENERS * 0.9)
      } finally {
        duck.close()
      }
      const run = (await readLatestSegments(lake))!
      expect(run.segments.map((s) => s.size).reduce((a, b) => a + b, 0)).toBe(run.listeners)
      const rows = await segmentRows(config, lake)

      // Premium is the catalog tier, null (unknown, not free) without a profile or without the listeners table.
      const tierOf = new Map(profiles.map((p) => [p.userId, p.tier]))
      const expected = (u: unknown): number | null =>
        tierOf.has(String(u)) ? (tierOf.get(String(u)) === 'premium' ? 1 : 0) : null
      expect(rows.map(([u, , , p]) => [u, p])).toEqual(rows.map(([u]) => [u, expected(u)]))
      expect(rows.some(([u]) => !tierOf.has(String(u)))).toBe(true)
      expect(new Set(rows.map((r) => r[3]))).toEqual(new Set([0, 1, null]))
      expect(noProfileRows.map((r) => r[3])).toEqual(noProfileRows.map(() => null))
      expect(noProfiles.segments.map((s) => [s.centroid.premium, s.profiles])).toEqual(
        noProfiles.segments.map(() => [null, 0]),
      )
      // Premium does not cluster: with profiles, every listener keeps the segment it had without them.
      expect(rows.map((r) => [r[0], r[1]])).toEqual(noProfileRows.map((r) => [r[0], r[1]]))
      // Per segment, the premium share among the members with a profile, as `playcount sql` computes it.
      for (const s of run.segments) {
        const known = rows.filter((r) => r[1] === s.segment && r[3] !== null).map((r) => Number(r[3]))
        expect(s.profiles).toBe(known.length)
        expect(s.centroid.premium).toBeCloseTo(known.reduce((a, b) => a + b, 0) / known.length, 12)
      }
      // Each habit's listeners: the share in the segment most of them are in.
      const byHabit = new Map<string, Map<number, number>>()
      for (const [userId, segment] of rows) {
        const habit = habitFor(SEED, Number(String(userId).slice('user-'.length)) - 1)
        const counts = byHabit.get(habit) ?? new Map<number, number>()
        byHabit.set(habit, counts)
        counts.set(Number(segment), (counts.get(Number(segment)) ?? 0) + 1)
      }
      const majority = new Map<string, { segment: number; share: number }>()
      for (const h of HABITS) {
        const counts = [...byHabit.get(h)!].sort((a, b) => b[1] - a[1])
        const total = counts.reduce((n, [, c]) => n + c, 0)
        majority.set(h, { segment: counts[0]![0], share: counts[0]![1] / total })
      }
      for (const h of HABITS)
        expect(majority.get(h)!.share, `${h}: ${JSON.stringify([...byHabit.get(h)!])}`).toBeGreaterThan(0.7)
      expect(new Set(HABITS.map((h) => majority.get(h)!.segment)).size).toBe(HABITS.length)
      const nameOf = (h: string): string => run.segments[majority.get(h)!.segment]!.name
      expect(nameOf('skipper')).toMatch(/skippers/)
      expect(nameOf('heavy-night')).toMatch(/heavy/)
      expect(run.segments[0]!.topArtists.length).toBeGreaterThan(0)
    },
  )

  it('read the premium tier from an S3 lake in the nightly run', async () => {
    const t0 = Date.parse('2024-03-01T20:00:00Z')
    const config = await testS3Config({ KAFKA_PARTITIONS: '2' })
    const lake = openLake(config)
    onTestFinished(() => lake.close())
    await writeArchive(
      config,
      lake,
      makeEvents({ n: 300, seed: 9, arrivalFrom: t0, arrivalSpanMs: 3 * HOUR_MS, partitions: 2 }),
    )
    await writeCatalog(config, lake)
    await writeListeners(config, lake, [
      { userId: 'u1', country: 'SE', birthYear: 1990, gender: 'female', tier: 'premium', signupDate: null },
      { userId: 'u2', country: null, birthYear: null, gender: 'unspecified', tier: 'free', signupDate: null },
    ])
    await writeProgress(config, lake, t0 + 3 * HOUR_MS)
    await runBatch(config, { lake, log: createLogger({ level: 'silent' }) })
    const rows = await segmentRows(config, lake)
    const tier: Record<string, number> = { u1: 1, u2: 0 }
    expect(rows.filter(([u]) => String(u) in tier).length).toBe(2)
    expect(rows.map(([u, , , p]) => [u, p])).toEqual(rows.map(([u]) => [u, tier[String(u)] ?? null]))
  })
})
