/**
 * Nightly listener segments over simulated listeners with habits (tools/simulator/habits.ts): written to the lake,
 * stable for a seed, queryable in `playcount sql`, and each habit lands mostly in one segment of its own.
 */
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { computeSegments } from '../../../batch-layer/segments/segments.ts'
import { openSqlSession } from '../../../batch-layer/sql/session.ts'
import { Catalog } from '../../../shared/catalog/catalog.ts'
import { generateCatalog } from '../../../shared/catalog/generate.ts'
import { openDuck, quoteLiteral } from '../../../shared/duckdb.ts'
import { openLake } from '../../../shared/lake.ts'
import { DAY_MS, eventsFileKey } from '../../../shared/layout.ts'
import { readLatestSegments } from '../../../shared/segments.ts'
import { habitFor, HABITS } from '../../../tools/simulator/habits.ts'
import { simulate } from '../../../tools/simulator/simulate.ts'
import { testConfig } from '../../helpers.ts'

const SEED = 7
const LISTENERS = 240
const AS_OF = '2026-03-28'
const END = Date.parse('2026-03-29T00:00:00Z')

describe('listener segments (real DuckDB, local lake)', () => {
  it(
    'put listeners of one habit mostly in one segment of their own, the same for a seed, in playcount sql',
    { timeout: 120_000 },
    async () => {
      const config = testConfig()
      const lake = openLake(config)
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
        const first = await computeSegments(duck.conn, lake, { asOf: AS_OF, tmpDir: config.home, k: 4, seed: 42 })
        const again = await computeSegments(duck.conn, lake, { asOf: AS_OF, tmpDir: config.home, k: 4, seed: 42 })
        expect(again).toEqual(first)
        expect(first!.listeners).toBeGreaterThan(LISTENERS * 0.9)
      } finally {
        duck.close()
      }
      const run = (await readLatestSegments(lake))!
      expect(run.segments.map((s) => s.size).reduce((a, b) => a + b, 0)).toBe(run.listeners)

      const sql = await openSqlSession(config, lake)
      let rows: unknown[][]
      try {
        expect(sql.views).toContain('listener_segments')
        rows = (
          await sql.query('SELECT user_id, segment, segment_name, skip_rate FROM listener_segments ORDER BY user_id')
        ).rows
      } finally {
        sql.close()
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
})
