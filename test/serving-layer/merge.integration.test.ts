/**
 * The merge rule against ground truth while W moves: events arrive hour by hour into two realtime instances
 * (split by partition), batch runs (real Parquet views written and read with DuckDB) move W at random moments,
 * queries come in between. Every additive metric must equal the truth exactly — never a double count, never a
 * gap — and listeners must be exact wherever the API says so, an upper bound elsewhere.
 */
import { describe, expect, it } from 'vitest'
import { HOUR_MS, DAY_MS, dayOf, hourStart } from '../../shared/layout.ts'
import { ADDITIVE_METRICS } from '../../shared/metrics.ts'
import type { EntityKind } from '../../shared/realtime.ts'
import type { DailyReport } from '../../serving-layer/routes/daily.ts'
import { testConfig } from '../helpers.ts'
import { startTestServing } from './support/app.ts'
import { writeBatchRun } from './support/batch-run.ts'
import { randomEvents, rng, testCatalog } from './support/data.ts'
import { EventsRealtimeView, aggregate, type ArrivedEvent } from './support/events-realtime-view.ts'

const T0 = Date.UTC(2026, 0, 10)
const HOURS = 60

async function report(
  app: Awaited<ReturnType<typeof startTestServing>>['app'],
  kind: EntityKind,
  id: string,
  from: string,
  to: string,
): Promise<DailyReport> {
  const res = await app.inject({ url: `/v1/${kind}s/${id}/daily?from=${from}&to=${to}&parts=true` })
  expect(res.statusCode, res.body).toBe(200)
  return res.json<DailyReport>()
}

function expectMatchesTruth(r: DailyReport, truthEvents: ArrivedEvent[], context: string): void {
  const truth = aggregate(truthEvents)
  for (const day of r.days) {
    const t = truth.get(day.date)
    for (const m of ADDITIVE_METRICS) expect(day[m.name], `${context} ${day.date} ${m.name}`).toBe(t?.[m.name] ?? 0)
    const listeners = t?.listeners ?? 0
    if (day.listenersExact) expect(day.listeners, `${context} ${day.date} listeners`).toBe(listeners)
    else {
      expect(day.source).toBe('batch+realtime')
      expect(day.listeners, `${context} ${day.date} listeners bound`).toBeGreaterThanOrEqual(listeners)
      expect(day.listeners).toBe(day.parts!.batch.listeners + day.parts!.realtime.listeners)
    }
  }
}

describe('batch + realtime merge', () => {
  for (const seed of [1, 2, 3]) {
    it(`equals ground truth while W moves (seed ${seed})`, async () => {
      const random = rng(seed)
      const config = testConfig({ KAFKA_PARTITIONS: '4' })
      const catalog = testCatalog()
      let now = T0
      const speedA = new EventsRealtimeView(catalog, { name: 'speed-a', partitions: [0, 1], now: () => now })
      const speedB = new EventsRealtimeView(catalog, { name: 'speed-b', partitions: [2, 3], now: () => now })
      const { app, serving, lake } = await startTestServing(config, {
        catalog,
        realtime: [speedA, speedB],
        now: () => now,
      })
      const events = randomEvents({
        catalog,
        count: 600,
        users: 25,
        start: T0,
        end: T0 + HOURS * HOUR_MS,
        lateShare: 0.15,
        partitions: 4,
        random,
      })
      const from = dayOf(T0 - 3 * DAY_MS)
      const to = dayOf(T0 + HOURS * HOUR_MS)
      let watermark = 0
      let runs = 0
      let queries = 0
      let next = 0
      for (let hour = 1; hour <= HOURS; hour++) {
        now = T0 + hour * HOUR_MS
        const arrived: ArrivedEvent[] = []
        while (next < events.length && events[next]!.arrivedAt < now) arrived.push(events[next++]!)
        speedA.ingest(arrived)
        speedB.ingest(arrived)
        if (random() < 0.25) {
          // The batch covers whole arrival hours, sometimes lagging a little behind the log.
          const w = Math.max(watermark, hourStart(now) - Math.floor(random() * 3) * HOUR_MS)
          const previous = watermark
          await writeBatchRun(config, lake, catalog, events.slice(0, next), w, `run-${++runs}`, previous)
          expect(await serving.refresh()).toBe(true)
          watermark = w
          // Readers now use w; the speed layer may forget what arrived before the previous watermark.
          speedA.dropBefore(previous)
          speedB.dropBefore(previous)
        }
        if (random() < 0.4 || hour === HOURS) {
          queries++
          const song = [...catalog.songs.keys()][Math.floor(random() * catalog.songs.size)]!
          const artist = [...catalog.artists.keys()][Math.floor(random() * catalog.artists.size)]!
          const seen = events.slice(0, next)
          for (const [kind, id] of [
            ['song', song],
            ['artist', artist],
          ] as const) {
            const r = await report(app, kind, id, from, to)
            expect(r.complete).toBe(true)
            expect(r.watermark).toBe(watermark)
            const own = seen.filter((e) => (kind === 'song' ? e.event.songId : catalog.artistOf(e.event.songId)) === id)
            expectMatchesTruth(r, own, `seed ${seed} hour ${hour} ${kind} ${id}`)
          }
        }
      }
      expect(runs).toBeGreaterThan(3)
      expect(queries).toBeGreaterThan(10)
    })
  }

  it('puts a late event on its event day, realtime first, then restated by the batch', async () => {
    const config = testConfig({ KAFKA_PARTITIONS: '1' })
    const catalog = testCatalog(1, 1)
    const speed = new EventsRealtimeView(catalog, { name: 'speed', partitions: [0] })
    const { app, serving, lake } = await startTestServing(config, { catalog, realtime: [speed] })
    const W = T0 + 10 * HOUR_MS
    const onTime: ArrivedEvent = {
      event: { eventId: 'x1', ts: T0 + HOUR_MS, userId: 'u1', songId: 's0-0', type: 'play' },
      arrivedAt: T0 + HOUR_MS,
      partition: 0,
    }
    // Played three days ago, arrived after W (an app that was offline).
    const late: ArrivedEvent = {
      event: { eventId: 'x2', ts: T0 - 3 * DAY_MS + 5000, userId: 'u2', songId: 's0-0', type: 'play' },
      arrivedAt: W + 60_000,
      partition: 0,
    }
    await writeBatchRun(config, lake, catalog, [onTime], W, 'run-1')
    await serving.refresh()
    speed.ingest([onTime, late])
    const before = await report(app, 'song', 's0-0', dayOf(T0 - 3 * DAY_MS), dayOf(T0))
    expect(before.days.map((d) => [d.date, d.plays, d.source])).toEqual([
      [dayOf(T0 - 3 * DAY_MS), 1, 'realtime'],
      [dayOf(T0 - 2 * DAY_MS), 0, 'batch'],
      [dayOf(T0 - DAY_MS), 0, 'batch'],
      [dayOf(T0), 1, 'batch'],
    ])
    expect(before.totals.plays).toBe(2)

    await writeBatchRun(config, lake, catalog, [onTime, late], W + HOUR_MS, 'run-2', W)
    await serving.refresh()
    const after = await report(app, 'song', 's0-0', dayOf(T0 - 3 * DAY_MS), dayOf(T0))
    expect(after.days[0]).toMatchObject({
      date: dayOf(T0 - 3 * DAY_MS),
      plays: 1,
      listeners: 1,
      listenersExact: true,
      source: 'batch',
    })
    expect(after.totals.plays).toBe(2)
  })

  it('says complete:false instead of undercounting when the speed layer dropped buckets the served W still needs', async () => {
    const config = testConfig({ KAFKA_PARTITIONS: '1' })
    const catalog = testCatalog(1, 1)
    const speed = new EventsRealtimeView(catalog, { name: 'speed', partitions: [0] })
    const { app, serving, lake } = await startTestServing(config, { catalog, realtime: [speed] })
    const e: ArrivedEvent = {
      event: { eventId: 'y1', ts: T0 + 2 * HOUR_MS, userId: 'u1', songId: 's0-0', type: 'play' },
      arrivedAt: T0 + 2 * HOUR_MS,
      partition: 0,
    }
    speed.ingest([e])
    await writeBatchRun(config, lake, catalog, [e], T0 + HOUR_MS, 'run-1')
    await serving.refresh()
    // A misbehaving speed layer drops before a W this reader has not loaded yet.
    speed.dropBefore(T0 + 3 * HOUR_MS)
    const r = await report(app, 'song', 's0-0', dayOf(T0), dayOf(T0))
    expect(r.complete).toBe(false)
    expect(r.missing.instances).toEqual([
      { instance: 'speed', reason: expect.stringContaining('not ready: buckets before') },
    ])
    expect(r.missing.partitions).toEqual([0])
  })
})
