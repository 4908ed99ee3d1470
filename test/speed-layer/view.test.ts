import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { parseDay } from '../../shared/day.ts'
import type { ListenEvent } from '../../shared/event.ts'
import { DAY_MS, HOUR_MS } from '../../shared/layout.ts'
import { SPEED_ROUTES } from '../../shared/realtime.ts'
import { InlineEngine, WorkerEngine } from '../../speed-layer/engine-client.ts'
import { PartitionState } from '../../speed-layer/partition-state.ts'
import { speedRoutes } from '../../speed-layer/routes.ts'
import { LocalRealtimeView } from '../../speed-layer/view.ts'

const DAY = Date.parse('2026-03-10T00:00:00Z')
const W = DAY + 5 * HOUR_MS
const now = Date.now()
let n = 0
const ev = (userId: string, type: ListenEvent['type'], ts = DAY + HOUR_MS): ListenEvent => ({
  eventId: `e${n++}`,
  ts,
  userId,
  songId: 's1',
  type,
  msPlayed: 100,
})

function readyState(partition: number, endOffset = 0): PartitionState {
  return new PartitionState({ partition, heldFrom: 0, startOffset: 0, endOffset })
}

function fixture() {
  const client = new InlineEngine({ songs: [['s1', 'a1']], dedupWindow: 100, bucketMs: HOUR_MS })
  const engine = client.engine
  const states = new Map<number, PartitionState>()
  const p0 = readyState(0)
  const p1 = readyState(1)
  states.set(0, p0).set(1, p1)
  engine.assign(0, 0)
  engine.assign(1, 0)
  // p0: u1 plays before W and twice after (two arrival hours); a retry of the same event is not counted again.
  engine.applyEvent(0, ev('u1', 'play'), W - HOUR_MS, now)
  const retried = ev('u1', 'play')
  expect(engine.applyEvent(0, retried, W, now)).toBe('counted')
  expect(engine.applyEvent(0, retried, W + 10, now)).toBe('duplicate')
  engine.applyEvent(0, ev('u1', 'play'), W + HOUR_MS, now)
  engine.applyEvent(0, ev('u2', 'like', DAY - DAY_MS), W + HOUR_MS, now) // a late event: previous day
  // p1: another listener.
  engine.applyEvent(1, ev('u3', 'play'), W, now)
  const view = new LocalRealtimeView({
    instance: 'test',
    states,
    engine: () => client,
    joined: () => true,
    holdFrom: () => 0,
    eventsPerSecond: () => 0,
    bucketMs: HOUR_MS,
  })
  return { states, view, engine, p0, p1 }
}

const D9 = parseDay('2026-03-09')!
const D10 = parseDay('2026-03-10')!
const q = { kind: 'song' as const, id: 's1', from: D9, to: D10 }
/** The same query as SPEED_ROUTES carry it: days as 'YYYY-MM-DD'. */
const wireQ = { kind: 'song', id: 's1', from: '2026-03-09', to: '2026-03-10' }

describe('LocalRealtimeView', () => {
  it('counts arrivals at or after the watermark, listeners unioned per partition and added across them', async () => {
    const { view } = fixture()
    const a = await view.daily({ ...q, watermark: W })
    expect(a).toMatchObject({ ready: true, partitions: [0, 1], watermark: W })
    expect(a.days.get(D10)).toMatchObject({ plays: 3, listeners: 2, msPlayed: 300 })
    expect(a.days.get(D9)).toMatchObject({ likes: 1, plays: 0, listeners: 0 })
    const all = await view.daily({ ...q, watermark: 0 })
    expect(all.days.get(D10)).toMatchObject({ plays: 4, listeners: 2 })
    const artist = await view.daily({ ...q, kind: 'artist', id: 'a1', watermark: W })
    expect(artist.days).toEqual(a.days)
  })

  it('refuses a watermark older than the buckets it still holds, and answers not ready while a partition rebuilds', async () => {
    const { view, p0, states, engine } = fixture()
    p0.heldFrom = W
    expect(engine.dropBefore(0, W)).toBe(1)
    const old = await view.daily({ ...q, watermark: 0 })
    expect(old.ready).toBe(false)
    expect(old.reason).toMatch(/older than the buckets held for partitions 0/)
    expect(old.partitions).toEqual([1])
    expect((await view.daily({ ...q, watermark: W })).ready).toBe(true)
    states.set(2, readyState(2, 10))
    const rebuilding = await view.daily({ ...q, watermark: W })
    expect(rebuilding).toMatchObject({ ready: false, partitions: [0, 1] })
    expect(rebuilding.reason).toMatch(/partitions 2 are rebuilding/)
    expect((await view.status()).partitions).toEqual([
      { partition: 0, ready: true, lag: 0 },
      { partition: 1, ready: true, lag: 0 },
      { partition: 2, ready: false, lag: 10 },
    ])
  })

  it('serves the same answers over SPEED_ROUTES and rejects a bad query with 400', async () => {
    const { view } = fixture()
    const app = Fastify()
    await app.register(speedRoutes(view))
    const res = await app.inject({ method: 'GET', url: SPEED_ROUTES.daily, query: { ...wireQ, watermark: String(W) } })
    expect(res.statusCode).toBe(200)
    const inProcess = await view.daily({ ...q, watermark: W })
    expect(res.json()).toEqual({
      ...inProcess,
      days: { '2026-03-09': inProcess.days.get(D9), '2026-03-10': inProcess.days.get(D10) },
    })
    const trending = await app.inject({
      method: 'GET',
      url: SPEED_ROUTES.trending,
      query: { kind: 'song', window: '24h', limit: '5' },
    })
    expect(trending.json()).toEqual(await view.trending({ kind: 'song', window: '24h', limit: 5 }))
    expect((await app.inject({ method: 'GET', url: SPEED_ROUTES.status })).json()).toMatchObject({
      instance: 'test',
      ready: true,
    })
    expect(
      (await app.inject({ method: 'GET', url: SPEED_ROUTES.daily, query: { ...wireQ, watermark: 'soon' } })).statusCode,
    ).toBe(400)
    // A watermark inside an arrival bucket cannot be answered exactly: refused, never approximated.
    expect(
      (await app.inject({ method: 'GET', url: SPEED_ROUTES.daily, query: { ...wireQ, watermark: String(W + 1) } }))
        .statusCode,
    ).toBe(400)
    // Not a calendar date: refused with the parameter named, not read as 1 March.
    const feb30 = await app.inject({
      method: 'GET',
      url: SPEED_ROUTES.daily,
      query: { ...wireQ, from: '2024-02-30', watermark: String(W) },
    })
    expect(feb30.statusCode).toBe(400)
    expect(feb30.json().message).toMatch(/from \(querystring\) must be a calendar date YYYY-MM-DD/)
    await app.close()
  })

  it('serves breakdowns and day answers (a dimension value as filter) over SPEED_ROUTES, a bad parameter named in a 400', async () => {
    const { view } = fixture()
    const app = Fastify()
    await app.register(speedRoutes(view))
    const get = (url: string, query: Record<string, string>) => app.inject({ method: 'GET', url, query })
    const watermark = String(W)

    const breakdown = await get(SPEED_ROUTES.breakdown, { ...wireQ, dimension: 'hour', watermark })
    expect(breakdown.statusCode).toBe(200)
    const inProcess = await view.breakdown({ ...q, dimension: 'hour', watermark: W })
    expect(inProcess.rows.length).toBeGreaterThan(0)
    expect(breakdown.json()).toEqual({
      ...inProcess,
      rows: inProcess.rows.map(([day, value, values]) => [day === D9 ? '2026-03-09' : '2026-03-10', value, values]),
    })

    const day = { kind: 'song', day: '2026-03-10', watermark }
    const all = await view.dayAll({ kind: 'song', day: D10, watermark: W })
    expect(all.rows).toEqual([['s1', expect.objectContaining({ plays: 3, listeners: 2 })]])
    expect((await get(SPEED_ROUTES.dayAll, day)).json()).toEqual(all)
    // No event has a country nor a profile: all of them are `unknown`, none is SE.
    const unknown = await get(SPEED_ROUTES.dayAll, { ...day, dimension: 'country', value: 'unknown' })
    expect(unknown.json()).toEqual(all)
    const se = await get(SPEED_ROUTES.dayAll, { ...day, dimension: 'country', value: 'SE' })
    expect(se.json()).toMatchObject({ ready: true, rows: [] })

    const bad: Array<[string, Record<string, string>, RegExp]> = [
      [SPEED_ROUTES.breakdown, { ...wireQ, dimension: 'planet', watermark }, /dimension/],
      [SPEED_ROUTES.breakdown, { ...wireQ, watermark }, /dimension/],
      [SPEED_ROUTES.breakdown, { ...wireQ, to: '2026-13-01', dimension: 'tier', watermark }, /to/],
      [SPEED_ROUTES.dayAll, { ...day, day: '2026-02-30' }, /day \(querystring\) must be a calendar date/],
      [SPEED_ROUTES.dayAll, { ...day, watermark: '-1' }, /watermark/],
      [
        SPEED_ROUTES.dayAll,
        { ...day, dimension: 'country', value: 'Sweden' },
        /value \(querystring\) must be a value of dimension country .*\[A-Z\]\{2\}\|unknown/,
      ],
      [SPEED_ROUTES.dayAll, { ...day, dimension: 'country' }, /value \(querystring\) is required with dimension/],
      [SPEED_ROUTES.dayAll, { ...day, value: 'SE' }, /dimension \(querystring\) is required with value/],
      [
        SPEED_ROUTES.dayAll,
        { ...day, dimension: 'tier', value: 'gold' },
        /value \(querystring\).*free\|premium\|unknown/,
      ],
    ]
    for (const [url, query, message] of bad) {
      const res = await get(url, query)
      expect(res.statusCode, `${url} ${JSON.stringify(query)}`).toBe(400)
      expect(res.json().message).toMatch(message)
    }
    await app.close()
  })

  it('ranks trending by plays in the window by arrival time', async () => {
    const client = new InlineEngine({
      songs: [
        ['old', 'a'],
        ['new', 'a'],
        ['hour', 'a'],
      ],
      dedupWindow: 100,
      bucketMs: HOUR_MS,
    })
    client.engine.assign(0, 0)
    const t = Date.now()
    const play = (songId: string, arrival: number): void => {
      client.engine.applyEvent(0, { eventId: `t${n++}`, ts: arrival, userId: 'u', songId, type: 'play' }, arrival, t)
    }
    play('old', t - 2 * HOUR_MS)
    play('old', t - 2 * HOUR_MS)
    play('old', t - 2 * HOUR_MS)
    play('new', t - 1000)
    play('new', t - 1000)
    play('hour', t - 30 * 60_000)
    const view = new LocalRealtimeView({
      instance: 'x',
      states: new Map([[0, readyState(0)]]),
      engine: () => client,
      joined: () => true,
      holdFrom: () => 0,
      eventsPerSecond: () => 0,
      bucketMs: HOUR_MS,
    })
    expect((await view.trending({ kind: 'song', window: '5m', limit: 10 })).items).toEqual([{ id: 'new', plays: 2 }])
    expect((await view.trending({ kind: 'song', window: '1h', limit: 10 })).items).toEqual([
      { id: 'new', plays: 2 },
      { id: 'hour', plays: 1 },
    ])
    expect((await view.trending({ kind: 'song', window: '24h', limit: 2 })).items).toEqual([
      { id: 'old', plays: 3 },
      { id: 'new', plays: 2 },
    ])
  })

  it('answers not ready, naming the cause, while the engine thread is dead', async () => {
    const dead = new WorkerEngine({ songs: [['s1', 'a1']], dedupWindow: 0, bucketMs: HOUR_MS })
    try {
      const view = new LocalRealtimeView({
        instance: 'x',
        states: new Map([[0, readyState(0)]]),
        engine: () => dead,
        joined: () => true,
        holdFrom: () => 0,
        eventsPerSecond: () => 0,
        bucketMs: HOUR_MS,
      })
      const a = await view.daily({ ...q, watermark: W })
      expect(a).toMatchObject({ ready: false, partitions: [], days: new Map() })
      expect(a.reason).toMatch(/^the counting engine is restarting: .*speed engine thread stopped/)
      expect(await view.trending({ kind: 'song', window: '1h', limit: 3 })).toEqual({
        ready: false,
        partitions: [],
        items: [],
      })
    } finally {
      await dead.close()
    }
  })
})
