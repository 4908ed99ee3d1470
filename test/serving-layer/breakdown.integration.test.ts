/**
 * GET /v1/{songs,artists}/:id/breakdown against an independent ground truth (test/support/oracle.ts), with the real
 * speed layer on the real broker and real batch runs (DuckDB, listener profiles in the lake): before a batch (all
 * realtime), after a batch (batch + realtime merged by W), and after a batch that restated late events.
 */
import { describe, expect, it, onTestFinished } from 'vitest'
import { runBatch } from '../../batch-layer/nightly/run.ts'
import { writeListeners } from '../../shared/catalog/listeners.ts'
import { formatDay, dayOfMs } from '../../shared/day.ts'
import { DIMENSION_NAMES } from '../../shared/dimensions.ts'
import type { ListenEvent } from '../../shared/event.ts'
import { openLake } from '../../shared/lake.ts'
import { HOUR_MS, hourStart } from '../../shared/layout.ts'
import { createLogger } from '../../shared/logger.ts'
import type { BreakdownReport } from '../../serving-layer/routes/breakdown.ts'
import { eventually, testConfig } from '../helpers.ts'
import { writeArchive, writeProgress, type ArchivedEvent } from '../batch-layer/nightly/fixture.ts'
import { ARTISTS, PROFILES, SONGS, catalog, makeEvents, setupTopic, speed } from '../speed-layer/fixtures.ts'
import { breakdownOracle, oracle, type DayValues } from '../support/oracle.ts'
import type { Chart } from '../../serving-layer/routes/charts.ts'
import { startTestServing } from './support/app.ts'

const ENTITIES = [
  ...SONGS.slice(0, 4).map((s) => ['song', s.songId] as const),
  ...ARTISTS.map((a) => ['artist', a.artistId] as const),
]
const ADDITIVE = ['plays', 'completes', 'skips', 'likes', 'dislikes', 'msPlayed'] as const

/** The oracle summed over the range per (kind:id|dimension|value); listeners as the route sums them: per day. */
function expected(events: ListenEvent[]): Map<string, DayValues> {
  const out = new Map<string, DayValues>()
  for (const [key, v] of breakdownOracle(
    events,
    (id) => catalog.artistOf(id)!,
    new Map(PROFILES.map((p) => [p.userId, p])),
  )) {
    // A cross's value holds a `|` itself (age_gender: `18-24|female`).
    const [entity, , dimension, ...value] = key.split('|')
    const k = `${entity!}|${dimension!}|${value.join('|')}`
    const acc = out.get(k) ?? { plays: 0, completes: 0, skips: 0, likes: 0, dislikes: 0, msPlayed: 0, listeners: 0 }
    for (const m of [...ADDITIVE, 'listeners'] as const) acc[m] += v[m]
    out.set(k, acc)
  }
  return out
}

function archived(events: ListenEvent[], arrivedAt: number, firstOffset: number): ArchivedEvent[] {
  return events.map((e, i) => ({
    ...e,
    artistId: catalog.artistOf(e.songId)!,
    partition: 0,
    offset: firstOffset + i,
    arrivedAt,
  }))
}

describe('breakdown and chart routes (real broker, speed layer and batch)', () => {
  it('breakdowns and charts equal the oracle before a batch, after a batch, and after late events are restated', async () => {
    const config = testConfig({ KAFKA_PARTITIONS: '2' })
    const lake = openLake(config)
    onTestFinished(() => lake.close())
    await writeListeners(config, lake, PROFILES)
    const { produce } = await setupTopic(config)
    const now = Date.now()
    const W = hourStart(now)
    const from = formatDay(dayOfMs(now) - 7)
    const to = formatDay(dayOfMs(now))
    // A: archived, arrived before W (never on the topic). B: on the topic now (arrivals >= W), late ones included.
    const a = makeEvents(21, 300, { now: W - HOUR_MS }).events
    const b = makeEvents(22, 300, { now })
    await produce(b.messages)
    const layer = speed(config, { instance: 'speed' })
    await layer.start()
    const { app, serving } = await startTestServing(config, { catalog, realtime: [layer.view] })

    const ask = async (kind: string, id: string, by: string): Promise<BreakdownReport> => {
      const res = await app.inject({ url: `/v1/${kind}s/${id}/breakdown?by=${by}&from=${from}&to=${to}` })
      expect(res.statusCode, res.body).toBe(200)
      return res.json<BreakdownReport>()
    }
    const check = async (
      truth: Map<string, DayValues>,
      source: string | undefined,
      listenersExact: boolean,
    ): Promise<void> => {
      // Every dimension the oracle knows (the cross age_gender included) is one the route answers, and no other.
      const dimensions = [...new Set([...truth.keys()].map((k) => k.split('|')[1]!))].sort()
      expect(dimensions).toEqual([...DIMENSION_NAMES].sort())
      for (const [kind, id] of ENTITIES) {
        for (const by of dimensions) {
          const r = await ask(kind, id, by)
          expect(r.complete).toBe(true)
          const want = [...truth].filter(
            ([k]) => k.startsWith(`${kind}:${id}|${by}|`) && Object.values(truth.get(k)!).some((x) => x !== 0),
          )
          expect(r.values.map((v) => v.value).sort(), `${kind} ${id} ${by}`).toEqual(
            want.map(([k]) => k.slice(`${kind}:${id}|${by}|`.length)).sort(),
          )
          for (const v of r.values) {
            const t = truth.get(`${kind}:${id}|${by}|${v.value}`)!
            for (const m of ADDITIVE) expect(v[m], `${kind} ${id} ${by} ${v.value} ${m}`).toBe(t[m])
            if (v.listenersExact) expect(v.listeners).toBe(t.listeners)
            else expect(v.listeners).toBeGreaterThanOrEqual(t.listeners)
            if (source !== undefined) expect(v.source).toBe(source)
            // All batch: each day's listeners exact, so their sum over the range is the oracle's sum of daily counts.
            if (listenersExact) expect(v.listeners).toBe(t.listeners)
          }
        }
      }
    }

    /** The charts of today and yesterday against the oracle's ranking (plays, listeners, id); ranks exact when listeners are. */
    const checkCharts = async (events: ListenEvent[], exact: boolean): Promise<void> => {
      const truth = oracle(events, catalog)
      const rank = (kind: string, date: string): Array<[string, DayValues]> =>
        [...truth]
          .filter(([k]) => k.startsWith(`${kind}:`))
          .map(([k, days]): [string, DayValues | undefined] => [k.slice(kind.length + 1), days.get(date)])
          .filter((r): r is [string, DayValues] => r[1] !== undefined && Object.values(r[1]).some((x) => x !== 0))
          .sort(([a, x], [b, y]) => y.plays - x.plays || y.listeners - x.listeners || (a < b ? -1 : 1))
      for (const kind of ['song', 'artist']) {
        for (const day of [dayOfMs(now), dayOfMs(now) - 1]) {
          const res = await app.inject({ url: `/v1/charts/daily?date=${formatDay(day)}&kind=${kind}&limit=200` })
          expect(res.statusCode, res.body).toBe(200)
          const chart = res.json<Chart>()
          expect(chart.complete).toBe(true)
          const want = rank(kind, formatDay(day))
          const before = rank(kind, formatDay(day - 1)).map(([id]) => id)
          if (exact) {
            expect(chart.entries.map((e) => [e.rank, e.id, e.plays, e.listeners])).toEqual(
              want.map(([id, v], i) => [i + 1, id, v.plays, v.listeners]),
            )
            expect(chart.entries.map((e) => e.previousRank)).toEqual(
              want.map(([id]) => (before.includes(id) ? before.indexOf(id) + 1 : null)),
            )
          } else {
            expect(chart.entries.map((e) => [e.id, e.plays]).sort()).toEqual(
              want.map(([id, v]) => [id, v.plays]).sort(),
            )
          }
        }
      }
    }

    // Before a batch: everything is realtime.
    await eventually(
      async () => ((await ask('artist', 'a0', 'tier')).complete ? true : undefined),
      30_000,
      'the speed layer to be ready',
    )
    await eventually(
      async () =>
        (await ask('artist', 'a0', 'tier')).values.reduce((n, v) => n + v.plays, 0) ===
        [...expected(b.events)].filter(([k]) => k.startsWith('artist:a0|tier|')).reduce((n, [, v]) => n + v.plays, 0)
          ? true
          : undefined,
      30_000,
      'every event counted',
    )
    await check(expected(b.events), 'realtime', false)
    await checkCharts(b.events, true)

    // After a batch of A (W): batch + realtime, merged by W.
    await writeArchive(config, lake, archived(a, W - 30 * 60_000, 0))
    await writeProgress(config, lake, W)
    await runBatch(config, { lake, log: createLogger({ level: 'silent' }) })
    expect(await serving.refresh()).toBe(true)
    await eventually(
      async () => ((await ask('song', 's0', 'country')).complete ? true : undefined),
      30_000,
      'the speed layer to hold W',
    )
    await check(expected([...a, ...b.events]), undefined, false)
    await checkCharts([...a, ...b.events], false)

    // B archived too (late events among them, 3-6 days old) and W moved past it: all batch, restated exactly.
    await writeArchive(config, lake, archived(b.events, W + 60_000, 10_000))
    await writeProgress(config, lake, W + HOUR_MS)
    await runBatch(config, { lake, log: createLogger({ level: 'silent' }) })
    expect(await serving.refresh()).toBe(true)
    await check(expected([...a, ...b.events]), 'batch', true)
    await checkCharts([...a, ...b.events], true)
    // CSV of the cross: the JSON's values row for row, a value's `|` kept as is (no comma in any value).
    const json = await ask('artist', 'a0', 'age_gender')
    const csv = await app.inject({ url: `/v1/artists/a0/breakdown?by=age_gender&from=${from}&to=${to}&format=csv` })
    expect(csv.headers['content-disposition']).toContain(`artist-a0-age_gender-${from}-${to}.csv`)
    const rows = csv.body.trim().split('\n').slice(1)
    expect(rows.map((r) => r.split(',').slice(0, 2))).toEqual(json.values.map((v) => [v.value, String(v.plays)]))
    expect(rows.some((r) => /^(13-17|18-24|25-34|35-44|45-54|55-64|65\+|unknown)\|\S+,/.test(r))).toBe(true)
    expect(b.events.some((e) => dayOfMs(e.ts) <= dayOfMs(now) - 3)).toBe(true)
  })

  it('names a bad parameter (400), an unknown id (404), and answers CSV', async () => {
    const config = testConfig({ KAFKA_PARTITIONS: '1' })
    const { app } = await startTestServing(config, { catalog, realtime: [] })
    const bad = await app.inject({ url: '/v1/songs/s0/breakdown?by=planet' })
    expect(bad.statusCode).toBe(400)
    expect(bad.json<{ message: string }>().message).toMatch(/by/)
    // The cross is validated and documented by the same definition as the other dimensions.
    const doc = (await app.inject({ url: '/docs/json' })).json<{
      paths: Record<string, { get: { parameters: Array<{ name: string; schema: { enum?: string[] } }> } }>
    }>()
    const by = doc.paths['/v1/artists/{id}/breakdown']!.get.parameters.find((p) => p.name === 'by')!
    expect(by.schema.enum).toEqual([...DIMENSION_NAMES])
    expect(by.schema.enum).toContain('age_gender')
    expect((await app.inject({ url: '/v1/songs/s0/breakdown' })).statusCode).toBe(400)
    expect((await app.inject({ url: '/v1/artists/nobody/breakdown?by=tier' })).statusCode).toBe(404)
    const csv = await app.inject({ url: '/v1/songs/s0/breakdown?by=hour&format=csv' })
    expect(csv.statusCode).toBe(200)
    expect(csv.body.split('\n')[0]).toBe(
      'value,plays,completes,skips,likes,dislikes,msPlayed,listeners,listenersExact,source',
    )
    expect((await app.inject({ url: '/v1/charts/daily?date=2024-02-30' })).json<{ message: string }>().message).toMatch(
      /date/,
    )
    expect((await app.inject({ url: '/v1/charts/daily?kind=album' })).statusCode).toBe(400)
    expect((await app.inject({ url: '/v1/charts/daily?limit=0' })).statusCode).toBe(400)
    expect(csv.headers['x-playcount-complete']).toBe('false') // no speed instance covers the partition
  })
})
