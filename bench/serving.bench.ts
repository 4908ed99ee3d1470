/**
 * Report API throughput and latency, one run: a 30-day artist query (batch views loaded from Parquet into memory +
 * the speed layer's in-process view, merged) beside two routes on the same server returning a precomputed 30-day
 * JSON: a bare one (the ceiling on this machine) and one with the report route's schema, path and async handler (the
 * fair baseline: what remains between it and the report is the report's own work). On the same server right after,
 * interleaved with each other, two more report routes over the same batch views and realtime events: the 30-day
 * breakdown by country of the same artist (batch `artist_breakdown_daily` + the speed layer's breakdowns) and today's
 * song chart (every song's merged values of the day and of the day before, ranked). Then the daily query fanned out
 * over HTTP to two speed instances (a child process serving SPEED_ROUTES). autocannon runs as its own process at 50
 * connections on 127.0.0.1, in alternating 2-second slices (medians reported), because the 2-core machine is shared
 * and its load drifts.
 *
 * Sizes: SERVING_BENCH_SONGS (2000), SERVING_BENCH_DAYS (30), SERVING_BENCH_EVENTS (20000 realtime events, each
 * with one of BENCH_COUNTRIES and a device), SERVING_BENCH_SECONDS (10 per measurement).
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import { Catalog } from '../shared/catalog/catalog.ts'
import { loadConfig, type Config } from '../shared/config.ts'
import { openDuck, quoteLiteral } from '../shared/duckdb.ts'
import { buildHttpApp } from '../shared/http-app.ts'
import { tokenFor } from '../shared/http-auth.ts'
import { DEVICES } from '../shared/event.ts'
import { DAY_MS, HOUR_MS, VIEWS_MANIFEST_KEY, dayOf } from '../shared/layout.ts'
import { openLake } from '../shared/lake.ts'
import { createLogger } from '../shared/logger.ts'
import { RemoteRealtimeView } from '../shared/realtime-client.ts'
import { SPEED_ROUTES, type EntityKind, type RealtimeView, type TrendingWindow } from '../shared/realtime.ts'
import { dailyAnswerToWire, dailyQueryFromWire } from '../shared/realtime-wire.ts'
import { createRegistry } from '../shared/telemetry.ts'
import { buildServing } from '../serving-layer/index.ts'
import { dailySchema } from '../serving-layer/schemas.ts'
import { InlineEngine } from '../speed-layer/engine-client.ts'
import { PartitionState } from '../speed-layer/partition-state.ts'
import { LocalRealtimeView } from '../speed-layer/view.ts'
import { randomEvents, rng } from '../test/serving-layer/support/data.ts'
import { interleaved, requestCounter, type Load } from './http-load.ts'
import type { BenchContext, BenchRow } from './types.ts'

const here = fileURLToPath(import.meta.url)
const SONGS = Number(process.env.SERVING_BENCH_SONGS ?? 2000)
const DAYS = Number(process.env.SERVING_BENCH_DAYS ?? 30)
const EVENTS = Number(process.env.SERVING_BENCH_EVENTS ?? 20_000)
const SECONDS = Number(process.env.SERVING_BENCH_SECONDS ?? 10)
const SONGS_PER_ARTIST = 20
const PARTITIONS = 4
const NOW = Date.UTC(2026, 5, 30, 14)
/** The batch covers arrivals before 12:00 of the last day; the realtime part holds the two hours since. */
const WATERMARK = NOW - 2 * HOUR_MS
const PRECOMPUTED = 'precomputed'
/** The countries of the events and of the batch breakdown rows (a listener base in a few markets). */
const BENCH_COUNTRIES = ['DE', 'US', 'GB', 'FR', 'BR', 'JP', 'SE', 'MX', 'IN', 'NG', 'ES', 'IT', 'NL', 'PL', 'CA', 'AU']
const JSON_TYPE = 'application/json; charset=utf-8'

function benchCatalog(): Catalog {
  const songs = Array.from({ length: SONGS }, (_, s) => ({
    songId: `s${s}`,
    artistId: `a${Math.floor(s / SONGS_PER_ARTIST)}`,
    title: `Song ${s}`,
    genre: 'pop',
    durationMs: 200_000,
    popularityRank: s,
  }))
  const artists = Array.from({ length: Math.ceil(SONGS / SONGS_PER_ARTIST) }, (_, a) => ({
    artistId: `a${a}`,
    name: `Artist ${a}`,
    genre: 'pop',
    country: 'DE',
  }))
  return new Catalog(artists, songs)
}

/**
 * The speed layer's own in-process view (speed-layer/view.ts over its counting engine) holding the realtime events
 * of `partitions`: the realtime part of a report costs here what it costs in a `playcount run`, not what a test
 * double costs. The engine runs inline, so its CPU is counted in this process's CPU per request.
 */
function realtimeView(catalog: Catalog, name: string, partitions: number[]): RealtimeView {
  const client = new InlineEngine({
    songs: [...catalog.songs.values()].map((s) => [s.songId, s.artistId] as const),
    dedupWindow: EVENTS,
    bucketMs: HOUR_MS,
  })
  const states = new Map<number, PartitionState>()
  for (const partition of partitions) {
    client.engine.assign(partition, 0)
    // Nothing to rebuild from a log (end offset 0): ready at once.
    states.set(partition, new PartitionState({ partition, heldFrom: 0, startOffset: 0, endOffset: 0 }))
  }
  for (const { event, arrivedAt, partition } of randomEvents({
    catalog,
    count: EVENTS,
    users: 5000,
    start: WATERMARK,
    end: NOW,
    lateShare: 0.05,
    partitions: PARTITIONS,
    random: rng(7),
  })) {
    const pick = Number.parseInt(event.eventId.slice(1), 10)
    event.country = BENCH_COUNTRIES[pick % BENCH_COUNTRIES.length]
    event.device = DEVICES[pick % DEVICES.length]
    if (states.has(partition)) client.engine.applyEvent(partition, event, arrivedAt, NOW)
  }
  return new LocalRealtimeView({
    instance: name,
    states,
    engine: () => client,
    joined: () => true,
    holdFrom: () => 0,
    eventsPerSecond: () => 0,
    bucketMs: HOUR_MS,
  })
}

/**
 * song_daily and artist_daily for SONGS x DAYS, and artist_breakdown_daily by country (BENCH_COUNTRIES) and device,
 * written as Parquet into the lake with their manifest.
 */
async function writeViews(config: Readonly<Config>): Promise<void> {
  const lake = openLake(config)
  const duck = await openDuck(config, { threads: 1 })
  const first = dayOf(NOW - (DAYS - 1) * DAY_MS)
  try {
    const songs = `SELECT DATE ${quoteLiteral(first)} + d::INTEGER AS day, 's' || s AS song_id, 'a' || (s // ${SONGS_PER_ARTIST}) AS artist_id,
      (hash(s, d) % 500)::BIGINT AS plays, (hash(s, d, 1) % 300)::BIGINT AS completes, (hash(s, d, 2) % 100)::BIGINT AS skips,
      (hash(s, d, 3) % 50)::BIGINT AS likes, (hash(s, d, 4) % 10)::BIGINT AS dislikes, (hash(s, d, 5) % 90000000)::BIGINT AS ms_played,
      (hash(s, d) % 500 * 7 // 10)::BIGINT AS listeners FROM range(0, ${SONGS}) t(s), range(0, ${DAYS}) u(d)`
    await duck.conn.run(`CREATE TABLE song_rows AS ${songs}`)
    const files = {
      song_daily: path.join(config.home, 'song_daily.parquet'),
      artist_daily: path.join(config.home, 'artist_daily.parquet'),
      artist_breakdown_daily: path.join(config.home, 'artist_breakdown_daily.parquet'),
    }
    await duck.conn.run(
      `COPY (SELECT * EXCLUDE (artist_id) FROM song_rows) TO ${quoteLiteral(files.song_daily)} (FORMAT parquet)`,
    )
    await duck.conn
      .run(`COPY (SELECT day, artist_id, sum(plays) plays, sum(completes) completes, sum(skips) skips, sum(likes) likes,
      sum(dislikes) dislikes, sum(ms_played) ms_played, (sum(listeners) * 6 // 10)::BIGINT listeners FROM song_rows GROUP BY ALL)
      TO ${quoteLiteral(files.artist_daily)} (FORMAT parquet)`)
    // Each artist's plays of a day split over the countries (and, again, over the devices) by a hash share.
    const countries = BENCH_COUNTRIES.map((c) => `(${quoteLiteral(c)})`).join(', ')
    const devices = DEVICES.map((d) => `(${quoteLiteral(d)})`).join(', ')
    await duck.conn.run(`COPY (SELECT day, artist_id, dimension, value, (sum(plays) * share // 100)::BIGINT plays,
      (sum(completes) * share // 100)::BIGINT completes, (sum(skips) * share // 100)::BIGINT skips,
      (sum(likes) * share // 100)::BIGINT likes, (sum(dislikes) * share // 100)::BIGINT dislikes,
      (sum(ms_played) * share // 100)::BIGINT ms_played, (sum(listeners) * share // 200)::BIGINT listeners
      FROM song_rows, (
        SELECT 'country' AS dimension, v AS value, 1 + hash(v) % 12 AS share FROM (VALUES ${countries}) t(v)
        UNION ALL SELECT 'device', v, 1 + hash(v) % 28 FROM (VALUES ${devices}) t(v))
      GROUP BY day, artist_id, dimension, value, share)
      TO ${quoteLiteral(files.artist_breakdown_daily)} (FORMAT parquet)`)
    for (const [view, file] of Object.entries(files)) await lake.putFile(`views/bench/${view}.parquet`, file)
    await lake.putBytes(
      VIEWS_MANIFEST_KEY,
      JSON.stringify({
        runId: 'bench',
        watermark: WATERMARK,
        createdAt: new Date().toISOString(),
        previousWatermark: 0,
        views: Object.fromEntries(Object.keys(files).map((v) => [v, [`views/bench/${v}.parquet`]])),
        days: { from: first, to: dayOf(NOW) },
      }),
    )
  } finally {
    duck.close()
    lake.close()
  }
}

/** Two speed instances (partitions split in half) in a child process, so they do not share the server's event loop. */
async function startSpeedChild(): Promise<{ urls: string[]; stop(): void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', here], {
    env: { ...process.env, SERVING_BENCH_ROLE: 'speed' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const line = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).once('line', resolve)
    child.once('exit', (code) => reject(new Error(`speed child exited with ${code}`)))
  })
  return { urls: JSON.parse(line) as string[], stop: () => child.kill() }
}

async function serveSpeedInstances(): Promise<void> {
  const catalog = benchCatalog()
  const urls: string[] = []
  for (const partitions of [
    [0, 1],
    [2, 3],
  ]) {
    const view = realtimeView(catalog, `speed-${partitions.join('')}`, partitions)
    const app = Fastify()
    app.get<{ Querystring: Record<string, string> }>(SPEED_ROUTES.daily, async (req) =>
      dailyAnswerToWire(
        await view.daily(
          dailyQueryFromWire({
            kind: req.query.kind as EntityKind,
            id: req.query.id ?? '',
            from: req.query.from ?? '',
            to: req.query.to ?? '',
            watermark: Number(req.query.watermark),
          }),
        ),
      ),
    )
    app.get<{ Querystring: Record<string, string> }>(SPEED_ROUTES.trending, (req) =>
      view.trending({
        kind: req.query.kind as EntityKind,
        window: req.query.window as TrendingWindow,
        limit: Number(req.query.limit),
      }),
    )
    app.get(SPEED_ROUTES.status, () => view.status())
    urls.push(await app.listen({ host: '127.0.0.1', port: 0 }))
  }
  console.log(JSON.stringify(urls))
}

async function startServer(config: Readonly<Config>, catalog: Catalog, realtime: RealtimeView[], ceiling?: string) {
  const log = createLogger({ level: 'warn' })
  const registry = createRegistry()
  const lake = openLake(config)
  const serving = buildServing(config, { catalog, lake, log, registry, realtime, now: () => NOW, pollMs: 60_000 })
  const plugins = [serving.routes]
  if (ceiling !== undefined) {
    plugins.push(async (app) => {
      app.get('/ceiling', (_req, reply) => {
        reply.type('application/json').send(ceiling)
      })
      // The fair baseline: the report route's own schema (path and query validated the same way), an async handler
      // and the same content type, so only the report's work (range, snapshot, realtime answers, merge, JSON)
      // separates the two. Hooks (tokens, 405, metrics) are the app's and apply to every route alike.
      app.get(`/v1/artists/:id/${PRECOMPUTED}`, { schema: dailySchema('artist') }, async (_req, reply) =>
        reply.type(JSON_TYPE).send(ceiling),
      )
    })
  }
  const app = await buildHttpApp(config, { log, registry, readiness: serving.readiness, plugins })
  app.addHook('onRequest', (_req, _reply, done) => {
    requestCounter.received++
    done()
  })
  await serving.start()
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return {
    url,
    app,
    close: async () => {
      await app.close()
      await serving.stop()
      lake.close()
    },
  }
}

export default async function bench(ctx: BenchContext): Promise<BenchRow[]> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'playcount-serving-bench-'))
  const config = loadConfig({
    PLAYCOUNT_HOME: home,
    LAKE_URI: path.join(home, 'lake'),
    KAFKA_PARTITIONS: String(PARTITIONS),
    LOG_LEVEL: 'warn',
    SPEED_TIMEOUT_MS: '2000',
  })
  const catalog = benchCatalog()
  const range = `from=${dayOf(NOW - (DAYS - 1) * DAY_MS)}&to=${dayOf(NOW)}`
  const query = `/v1/artists/a7/daily?${range}`
  const breakdownQuery = `/v1/artists/a7/breakdown?by=country&${range}`
  const chartQuery = `/v1/charts/daily?date=${dayOf(NOW)}`
  const rows: BenchRow[] = []
  const row = (measure: string, value: number, unit: string, extra: Partial<BenchRow> = {}) =>
    rows.push({ bench: 'serving', measure, value, unit, ...extra })
  try {
    ctx.log(`writing views: ${SONGS} songs x ${DAYS} days, ${EVENTS} realtime events`)
    await writeViews(config)
    const local = await startServer(config, catalog, [realtimeView(catalog, 'in-process', [0, 1, 2, 3])])
    const sample = await (await fetch(`${local.url}${query}`)).text()
    const breakdownSample = await (await fetch(`${local.url}${breakdownQuery}`)).text()
    const chartSample = await (await fetch(`${local.url}${chartQuery}`)).text()
    await local.close()
    const report = JSON.parse(sample) as { complete: boolean; days: unknown[]; totals: { plays: number } }
    if (!report.complete || report.days.length !== DAYS) throw new Error(`unexpected report: ${sample.slice(0, 300)}`)
    ctx.log(`report: ${sample.length} bytes, ${report.days.length} days, ${report.totals.plays} plays`)
    const breakdown = JSON.parse(breakdownSample) as { complete: boolean; values: Array<{ source: string }> }
    if (!breakdown.complete || breakdown.values.length !== BENCH_COUNTRIES.length)
      throw new Error(`unexpected breakdown: ${breakdownSample.slice(0, 300)}`)
    const chart = JSON.parse(chartSample) as { complete: boolean; entries: Array<{ source: string }> }
    if (!chart.complete || chart.entries.length !== 50)
      throw new Error(`unexpected chart: ${chartSample.slice(0, 300)}`)
    ctx.log(
      `breakdown: ${breakdownSample.length} bytes, ${breakdown.values.length} countries ` +
        `(${breakdown.values[0]?.source}); ` +
        `chart: ${chartSample.length} bytes, ${chart.entries.length} songs (${chart.entries[0]?.source})`,
    )

    const server = await startServer(config, catalog, [realtimeView(catalog, 'in-process', [0, 1, 2, 3])], sample)
    let ceiling: Load
    let precomputed: Load
    let merged: Load
    let breakdownLoad: Load
    let chartLoad: Load
    try {
      const same = query.replace('/daily?', `/${PRECOMPUTED}?`)
      ;[ceiling, precomputed, merged] = (await interleaved(
        [`${server.url}/ceiling`, `${server.url}${same}`, `${server.url}${query}`],
        SECONDS,
      )) as [Load, Load, Load]
      // Apart from the daily route's slices: the garbage of these slow routes would be collected in the next slice.
      ;[breakdownLoad, chartLoad] = (await interleaved(
        [`${server.url}${breakdownQuery}`, `${server.url}${chartQuery}`],
        SECONDS,
      )) as [Load, Load]
      ctx.log(`ceiling: ${JSON.stringify(ceiling)}`)
      ctx.log(`precomputed, same schema and path as the report: ${JSON.stringify(precomputed)}`)
      ctx.log(`30-day artist, in-process merge: ${JSON.stringify(merged)}`)
      ctx.log(`30-day artist breakdown by country, in-process merge: ${JSON.stringify(breakdownLoad)}`)
      ctx.log(`today's song chart, in-process merge: ${JSON.stringify(chartLoad)}`)
    } finally {
      await server.close()
    }
    const speed = await startSpeedChild()
    let fanned: Load
    try {
      const remote = speed.urls.map(
        (u) => new RemoteRealtimeView(u, config.speed.timeoutMs, tokenFor(config, 'internal')),
      )
      const fan = await startServer(config, catalog, remote)
      try {
        const check = await (await fetch(`${fan.url}${query}`)).text()
        if (check !== sample) throw new Error(`fan-out answer differs from the in-process one: ${check.slice(0, 300)}`)
        ;[fanned] = (await interleaved([`${fan.url}${query}`], SECONDS)) as [Load]
        ctx.log(`30-day artist, fan-out to 2 speed instances: ${JSON.stringify(fanned)}`)
      } finally {
        await fan.close()
      }
    } finally {
      speed.stop()
    }
    row('ceiling: precomputed 30-day JSON, req/s', ceiling.rps, 'req/s')
    row('ceiling p99', ceiling.p99, 'ms')
    row('30-day artist, in-process merge, req/s', merged.rps, 'req/s', {
      baseline: ceiling.rps,
      ratio: merged.rps / ceiling.rps,
      target: '>= 0.5x ceiling',
      met: merged.rps >= 0.5 * ceiling.rps && merged.non2xx === 0,
    })
    row('30-day artist, in-process merge, p50', merged.p50, 'ms')
    row('30-day artist, in-process merge, p99', merged.p99, 'ms', { target: '<= 5 ms', met: merged.p99 <= 5 })
    row('server CPU per request: ceiling', ceiling.cpuUs, 'µs')
    row("precomputed 30-day JSON with the report route's schema, req/s", precomputed.rps, 'req/s')
    row("precomputed with the report route's schema, p99", precomputed.p99, 'ms')
    row("server CPU per request: precomputed with the report route's schema", precomputed.cpuUs, 'µs', {
      baseline: ceiling.cpuUs,
      ratio: precomputed.cpuUs / ceiling.cpuUs,
    })
    row('server CPU per request: 30-day artist, in-process merge', merged.cpuUs, 'µs', {
      baseline: precomputed.cpuUs,
      ratio: merged.cpuUs / precomputed.cpuUs,
      target: '<= 2x precomputed (same schema)',
      met: merged.cpuUs <= 2 * precomputed.cpuUs,
    })
    row('server CPU per request: 30-day artist, in-process merge, against the bare ceiling', merged.cpuUs, 'µs', {
      baseline: ceiling.cpuUs,
      ratio: merged.cpuUs / ceiling.cpuUs,
      target: '<= 2x ceiling',
      met: merged.cpuUs <= 2 * ceiling.cpuUs,
    })
    for (const [name, load] of [
      ['30-day artist breakdown by country', breakdownLoad],
      ["today's song chart (top 50, rank the day before)", chartLoad],
    ] as const) {
      row(`${name}, in-process merge, req/s`, load.rps, 'req/s', {
        baseline: ceiling.rps,
        ratio: load.rps / ceiling.rps,
      })
      row(`${name}, p99`, load.p99, 'ms')
      row(`server CPU per request: ${name}`, load.cpuUs, 'µs', {
        baseline: precomputed.cpuUs,
        ratio: load.cpuUs / precomputed.cpuUs,
      })
    }
    row('30-day artist, fan-out to 2 speed instances over HTTP, req/s', fanned.rps, 'req/s', {
      baseline: ceiling.rps,
      ratio: fanned.rps / ceiling.rps,
    })
    row('30-day artist, fan-out, p50', fanned.p50, 'ms')
    row('30-day artist, fan-out, p99', fanned.p99, 'ms')
    row('server CPU per request: fan-out (serving side only)', fanned.cpuUs, 'µs', {
      baseline: ceiling.cpuUs,
      ratio: fanned.cpuUs / ceiling.cpuUs,
    })
    const loads = [ceiling, precomputed, merged, breakdownLoad, chartLoad, fanned]
    const failed = loads.reduce((n, l) => n + l.non2xx + l.errors, 0)
    row('non-2xx + errors over all runs', failed, 'count', { target: '0', met: failed === 0 })
    return rows
  } finally {
    fs.rmSync(home, { recursive: true, force: true })
  }
}

if (process.env.SERVING_BENCH_ROLE === 'speed') await serveSpeedInstances()
