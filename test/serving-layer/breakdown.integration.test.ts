/**
 * GET /v1/{songs,artists}/:id/breakdown and /v1/charts/daily (all plays and one country's) against an independent
 * ground truth (test/support/oracle.ts), with the real speed layer on the real broker and real batch runs (DuckDB,
 * listener profiles in the lake): before a batch (all realtime), after a batch (batch + realtime merged by W), and
 * after a batch that restated late events; and with two speed instances reached over HTTP (SPEED_URLS).
 */
import type { FastifyInstance } from 'fastify'
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
import { RemoteRealtimeView } from '../../shared/realtime-client.ts'
import { startTestServing } from './support/app.ts'
import { startSpeedServer } from './support/speed-server.ts'

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

/** The charts asked for: all plays, two countries (from events and profiles) and plays with no country. */
const COUNTRIES = [undefined, 'SE', 'DE', 'unknown'] as const

/**
 * The ids of `kind` with data on `date` and their values, ranked by plays, listeners, id: over all plays (oracle),
 * or over the plays of one country (breakdownOracle: the event's country, else the profile's, else unknown).
 */
function chartTruth(events: ListenEvent[], kind: string, date: string, country?: string): Array<[string, DayValues]> {
  const rows: Array<[string, DayValues]> = []
  if (country === undefined) {
    for (const [k, days] of oracle(events, catalog)) {
      const v = days.get(date)
      if (k.startsWith(`${kind}:`) && v !== undefined) rows.push([k.slice(kind.length + 1), v])
    }
  } else {
    const profiles = new Map(PROFILES.map((p) => [p.userId, p]))
    for (const [k, v] of breakdownOracle(events, (id) => catalog.artistOf(id)!, profiles)) {
      const [entity, day, dimension, value] = k.split('|')
      if (entity!.startsWith(`${kind}:`) && day === date && dimension === 'country' && value === country)
        rows.push([entity!.slice(kind.length + 1), v])
    }
  }
  return rows
    .filter(([, v]) => Object.values(v).some((x) => x !== 0))
    .sort(([a, x], [b, y]) => y.plays - x.plays || y.listeners - x.listeners || (a < b ? -1 : 1))
}

async function askBreakdown(
  app: FastifyInstance,
  kind: string,
  id: string,
  by: string,
  range: { from: string; to: string },
): Promise<BreakdownReport> {
  const res = await app.inject({ url: `/v1/${kind}s/${id}/breakdown?by=${by}&from=${range.from}&to=${range.to}` })
  expect(res.statusCode, res.body).toBe(200)
  return res.json<BreakdownReport>()
}

async function askChart(app: FastifyInstance, kind: string, day: number, country?: string): Promise<Chart> {
  const c = country === undefined ? '' : `&country=${country}`
  const res = await app.inject({ url: `/v1/charts/daily?date=${formatDay(day)}&kind=${kind}&limit=200${c}` })
  expect(res.statusCode, res.body).toBe(200)
  return res.json<Chart>()
}

/** Every breakdown of ENTITIES against `truth` (expected()); `source` when every value must have that one. */
async function checkBreakdowns(
  app: FastifyInstance,
  range: { from: string; to: string },
  truth: Map<string, DayValues>,
  source: string | undefined,
  listenersExact: boolean,
): Promise<void> {
  // Every dimension the oracle knows (the cross age_gender included) is one the route answers, and no other.
  const dimensions = [...new Set([...truth.keys()].map((k) => k.split('|')[1]!))].sort()
  expect(dimensions).toEqual([...DIMENSION_NAMES].sort())
  for (const [kind, id] of ENTITIES) {
    for (const by of dimensions) {
      const r = await askBreakdown(app, kind, id, by, range)
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

/**
 * The charts of `today` and the day before, of all plays and of each of COUNTRIES, against chartTruth; ranks and
 * previous ranks exact when listeners are (they break ties), else the entries' plays. The day's totals over every
 * id, and their realtime part: chartTruth of `live` (the events that arrived at or after W).
 */
async function checkCharts(
  app: FastifyInstance,
  events: ListenEvent[],
  today: number,
  exact: boolean,
  live: ListenEvent[],
): Promise<void> {
  for (const kind of ['song', 'artist']) {
    for (const day of [today, today - 1]) {
      let countryEntries = 0
      for (const country of COUNTRIES) {
        const chart = await askChart(app, kind, day, country)
        const what = `${kind} ${formatDay(day)} ${country ?? 'all'}`
        expect(chart.complete, what).toBe(true)
        expect(chart.country).toBe(country)
        const want = chartTruth(events, kind, formatDay(day), country)
        countryEntries += country === undefined ? 0 : want.length
        const before = chartTruth(events, kind, formatDay(day - 1), country).map(([id]) => id)
        const liveWant = chartTruth(live, kind, formatDay(day), country)
        expect(chart.totals.entries, what).toBe(want.length)
        for (const m of ADDITIVE) {
          const total = want.reduce((n, [, v]) => n + v[m], 0)
          const realtime = liveWant.reduce((n, [, v]) => n + v[m], 0)
          expect(chart.totals[m], `${what} ${m}`).toBe(total)
          expect(chart.totals.parts.realtime[m], `${what} realtime ${m}`).toBe(realtime)
          expect(chart.totals.parts.batch[m], `${what} batch ${m}`).toBe(total - realtime)
        }
        if (exact) {
          expect(
            chart.entries.map((e) => [e.rank, e.id, e.plays, e.listeners]),
            what,
          ).toEqual(want.map(([id, v], i) => [i + 1, id, v.plays, v.listeners]))
          expect(chart.entries.map((e) => [e.previousRank, e.change])).toEqual(
            want.map(([id], i) => {
              const previous = before.includes(id) ? before.indexOf(id) + 1 : null
              return [previous, previous === null ? null : previous - (i + 1)]
            }),
          )
        } else {
          expect(chart.entries.map((e) => [e.id, e.plays]).sort(), what).toEqual(
            want.map(([id, v]) => [id, v.plays]).sort(),
          )
        }
      }
      expect(countryEntries, `${kind} ${formatDay(day)}: the events give the country charts entries`).toBeGreaterThan(0)
    }
  }
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
  it("breakdowns and charts (a country's too) equal the oracle before a batch, after a batch, and after late events are restated", async () => {
    const config = testConfig({ KAFKA_PARTITIONS: '2' })
    const lake = openLake(config)
    onTestFinished(() => lake.close())
    await writeListeners(config, lake, PROFILES)
    const { produce } = await setupTopic(config)
    const now = Date.now()
    const W = hourStart(now)
    const range = { from: formatDay(dayOfMs(now) - 7), to: formatDay(dayOfMs(now)) }
    // A: archived, arrived before W (never on the topic). B: on the topic now (arrivals >= W), late ones included.
    const a = makeEvents(21, 300, { now: W - HOUR_MS, countries: true }).events
    const b = makeEvents(22, 300, { now, countries: true })
    await produce(b.messages)
    const layer = speed(config, { instance: 'speed' })
    await layer.start()
    const { app, serving } = await startTestServing(config, { catalog, realtime: [layer.view] })

    // Before a batch: everything is realtime.
    await eventually(
      async () => ((await askBreakdown(app, 'artist', 'a0', 'tier', range)).complete ? true : undefined),
      30_000,
      'the speed layer to be ready',
    )
    await eventually(
      async () =>
        (await askBreakdown(app, 'artist', 'a0', 'tier', range)).values.reduce((n, v) => n + v.plays, 0) ===
        [...expected(b.events)].filter(([k]) => k.startsWith('artist:a0|tier|')).reduce((n, [, v]) => n + v.plays, 0)
          ? true
          : undefined,
      30_000,
      'every event counted',
    )
    await checkBreakdowns(app, range, expected(b.events), 'realtime', false)
    await checkCharts(app, b.events, dayOfMs(now), true, b.events)

    // After a batch of A (W): batch + realtime, merged by W.
    await writeArchive(config, lake, archived(a, W - 30 * 60_000, 0))
    await writeProgress(config, lake, W)
    await runBatch(config, { lake, log: createLogger({ level: 'silent' }) })
    expect(await serving.refresh()).toBe(true)
    await eventually(
      async () => ((await askBreakdown(app, 'song', 's0', 'country', range)).complete ? true : undefined),
      30_000,
      'the speed layer to hold W',
    )
    await checkBreakdowns(app, range, expected([...a, ...b.events]), undefined, false)
    await checkCharts(app, [...a, ...b.events], dayOfMs(now), false, b.events)

    // B archived too (late events among them, 3-6 days old) and W moved past it: all batch, restated exactly.
    await writeArchive(config, lake, archived(b.events, W + 60_000, 10_000))
    await writeProgress(config, lake, W + HOUR_MS)
    await runBatch(config, { lake, log: createLogger({ level: 'silent' }) })
    expect(await serving.refresh()).toBe(true)
    await checkBreakdowns(app, range, expected([...a, ...b.events]), 'batch', true)
    await checkCharts(app, [...a, ...b.events], dayOfMs(now), true, [])
    // CSV of the cross: the JSON's values row for row, a value's `|` kept as is (no comma in any value).
    const json = await askBreakdown(app, 'artist', 'a0', 'age_gender', range)
    const csv = await app.inject({
      url: `/v1/artists/a0/breakdown?by=age_gender&from=${range.from}&to=${range.to}&format=csv`,
    })
    expect(csv.headers['content-disposition']).toContain(`artist-a0-age_gender-${range.from}-${range.to}.csv`)
    const rows = csv.body.trim().split('\n').slice(1)
    expect(rows.map((r) => r.split(',').slice(0, 2))).toEqual(json.values.map((v) => [v.value, String(v.plays)]))
    expect(rows.some((r) => /^(13-17|18-24|25-34|35-44|45-54|55-64|65\+|unknown)\|\S+,/.test(r))).toBe(true)
    expect(b.events.some((e) => dayOfMs(e.ts) <= dayOfMs(now) - 3)).toBe(true)
    // The restated late days' country charts too (B's late events are 3-6 days old).
    await checkCharts(app, [...a, ...b.events], dayOfMs(now) - 4, true, [])
  })

  it('through SPEED_URLS, two speed instances over HTTP answer breakdowns and charts as in-process and as the oracle', async () => {
    const config = testConfig({ KAFKA_PARTITIONS: '4' })
    const { produce } = await setupTopic(config)
    const now = Date.now()
    const range = { from: formatDay(dayOfMs(now) - 7), to: formatDay(dayOfMs(now)) }
    const made = makeEvents(23, 600, { now, countries: true })
    await produce(made.messages)
    const layers = [speed(config, { instance: 'a' }), speed(config, { instance: 'b' })]
    await Promise.all(layers.map((l) => l.start()))
    const remote = await Promise.all(
      layers.map(async (l) => {
        const server = await startSpeedServer(l.view)
        const view = new RemoteRealtimeView(server.url, 5000)
        onTestFinished(async () => {
          view.close()
          await server.close()
        })
        return view
      }),
    )
    const viaHttp = (await startTestServing(config, { catalog, realtime: remote })).app
    const inProcess = (await startTestServing(config, { catalog, realtime: layers.map((l) => l.view) })).app

    const truth = expected(made.events)
    const allPlays = [...truth].filter(([k]) => k.startsWith('artist:a0|tier|')).reduce((n, [, v]) => n + v.plays, 0)
    await eventually(
      async () => {
        const [sa, sb] = await Promise.all(remote.map((v) => v.status()))
        const r = await askBreakdown(viaHttp, 'artist', 'a0', 'tier', range)
        const split = sa!.partitions.length > 0 && sb!.partitions.length > 0
        return split && r.complete && r.values.reduce((n, v) => n + v.plays, 0) === allPlays ? true : undefined
      },
      60_000,
      'both instances to hold partitions and every event counted',
    )
    await checkBreakdowns(viaHttp, range, truth, 'realtime', false)
    await checkCharts(viaHttp, made.events, dayOfMs(now), true, made.events)
    for (const [kind, id] of ENTITIES) {
      for (const by of DIMENSION_NAMES) {
        expect(await askBreakdown(viaHttp, kind, id, by, range)).toEqual(
          await askBreakdown(inProcess, kind, id, by, range),
        )
      }
    }
    for (const kind of ['song', 'artist'])
      for (const country of COUNTRIES)
        expect(await askChart(viaHttp, kind, dayOfMs(now), country)).toEqual(
          await askChart(inProcess, kind, dayOfMs(now), country),
        )
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
    for (const country of ['Sweden', 'se', 'UNKNOWN', '']) {
      const res = await app.inject({ url: `/v1/charts/daily?country=${country}` })
      expect(res.statusCode, country).toBe(400)
      expect(res.json<{ message: string }>().message).toMatch(
        /country \(querystring\) must match pattern "\^\(\?:\[A-Z\]\{2\}\|unknown\)\$"/,
      )
    }
    expect((await app.inject({ url: '/v1/charts/daily?country=unknown' })).statusCode).toBe(200)
    expect(csv.headers['x-playcount-complete']).toBe('false') // no speed instance covers the partition
  })
})
