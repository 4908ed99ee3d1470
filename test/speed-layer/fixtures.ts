/**
 * Speed-layer test fixtures: a small catalog, a deterministic event maker (duplicates, late and invalid
 * messages), an independent oracle of the daily metrics, and helpers to produce and to compare with the oracle.
 */
import { isDeepStrictEqual } from 'node:util'
import { Registry } from 'prom-client'
import { Catalog, type Artist, type Song } from '../../shared/catalog/catalog.ts'
import type { ListenerProfile } from '../../shared/catalog/listeners.ts'
import { formatDay, parseDay } from '../../shared/day.ts'
import type { Config } from '../../shared/config.ts'
import { encodeEvent, type EventType, type ListenEvent } from '../../shared/event.ts'
import { createKafka, ensureTopics } from '../../shared/kafka.ts'
import { openLake } from '../../shared/lake.ts'
import { DAY_MS } from '../../shared/layout.ts'
import { createLogger } from '../../shared/logger.ts'
import type { EntityKind, RealtimeView } from '../../shared/realtime.ts'
import { buildSpeedLayer, type SpeedLayer, type SpeedOptions } from '../../speed-layer/index.ts'
import { cleanupTopics, eventually } from '../helpers.ts'
import { oracle, type Oracle } from '../support/oracle.ts'
import { rng } from '../support/random.ts'
import { onTestFinished } from 'vitest'

export const ARTISTS: Artist[] = Array.from({ length: 4 }, (_, i) => ({
  artistId: `a${i}`,
  name: `Artist ${i}`,
  genre: 'pop',
  country: 'DE',
}))
export const SONGS: Song[] = Array.from({ length: 12 }, (_, i) => ({
  songId: `s${i}`,
  artistId: `a${i % 4}`,
  title: `Song ${i}`,
  genre: 'pop',
  durationMs: 180_000,
  popularityRank: i,
}))
/** Profiles of u0..u29 (u30..u39 have none: `unknown` in the profile dimensions). */
export const PROFILES: ListenerProfile[] = Array.from({ length: 30 }, (_, i) => ({
  userId: `u${i}`,
  country: i % 7 === 0 ? null : (['SE', 'BR', 'JP'] as const)[i % 3]!,
  birthYear: i % 5 === 0 ? null : 1950 + i * 2,
  gender: (['female', 'male', 'non-binary', 'unspecified'] as const)[i % 4]!,
  tier: i % 3 === 0 ? 'premium' : 'free',
  signupDate: null,
}))
export const catalog = new Catalog(ARTISTS, SONGS, PROFILES)

const TYPES: EventType[] = ['play', 'play', 'play', 'complete', 'skip', 'like', 'dislike', 'pause']

export interface Message {
  key: string
  value: string
}

export interface MadeEvents {
  messages: Message[]
  /** The distinct valid events, in first-send order. */
  events: ListenEvent[]
  invalid: number
}

/**
 * `n` messages: valid events of the last two days plus late ones (3 to 6 days old), about 8% resent duplicates
 * (a retry: same eventId and key) and `invalid` malformed messages spread among them; with `countries`, some
 * events carry a country.
 */
export function makeEvents(
  seed: number,
  n: number,
  opts: { invalid?: number; now?: number; resend?: ListenEvent[]; countries?: boolean } = {},
): MadeEvents {
  const r = rng(seed)
  const now = opts.now ?? Date.now()
  const messages: Message[] = []
  const events: ListenEvent[] = []
  const resendPool = opts.resend ?? []
  const invalidEvery = opts.invalid ? Math.max(1, Math.floor(n / opts.invalid)) : 0
  let invalid = 0
  for (let i = 0; i < n; i++) {
    if (invalidEvery && i % invalidEvery === invalidEvery - 1 && invalid < (opts.invalid ?? 0)) {
      messages.push(badMessage(invalid++, now))
      continue
    }
    // Half the retries resend an event of an earlier part (when given), so duplicates straddle the parts.
    const pool = resendPool.length > 0 && (events.length === 0 || r() < 0.5) ? resendPool : events
    if (pool.length > 0 && r() < 0.08) {
      const e = pool[Math.floor(r() * pool.length)]!
      messages.push({ key: e.userId, value: encodeEvent(e) })
      continue
    }
    const late = r() < 0.1
    const ts = Math.floor(now - (late ? (3 + r() * 3) * DAY_MS : r() * 2 * DAY_MS))
    const e: ListenEvent = {
      eventId: `e${seed}-${i}`,
      ts,
      userId: `u${Math.floor(r() * 40)}`,
      songId: `s${Math.floor(r() * SONGS.length)}`,
      type: TYPES[Math.floor(r() * TYPES.length)]!,
    }
    if (r() < 0.7) e.msPlayed = Math.floor(r() * 200_000)
    // A country on every fourth event (it wins over the profile's), without drawing from r: the rest stays the same.
    if (opts.countries && i % 4 === 0) e.country = (['DE', 'SE', 'US'] as const)[i % 3]!
    events.push(e)
    messages.push({ key: e.userId, value: encodeEvent(e) })
  }
  return { messages, events, invalid }
}

function badMessage(i: number, now: number): Message {
  switch (i % 3) {
    case 0:
      return { key: 'u-bad', value: '{"eventId": "x", bad json' }
    case 1:
      return {
        key: 'u-bad',
        value: JSON.stringify({ eventId: `bad-${i}`, ts: now, userId: 'u-bad', songId: 'no-such-song', type: 'play' }),
      }
    default:
      return { key: 'u-bad', value: JSON.stringify({ eventId: `bad-${i}`, ts: now, userId: 'u-bad', type: 'play' }) }
  }
}

type Values = Record<string, number>
/**
 * The oracle of test/support/oracle.ts (written from the words of docs/ARCHITECTURE.md#days-and-metrics, not from
 * shared/metrics.ts) over this catalog.
 */
export function groundTruth(events: Iterable<ListenEvent>): Oracle {
  return oracle(events, catalog)
}

function nonZero(days: Record<string, Values>): Record<string, Values> {
  const out: Record<string, Values> = {}
  for (const [d, v] of Object.entries(days)) if (Object.values(v).some((x) => x !== 0)) out[d] = v
  return out
}

const RANGE = { from: 0, to: parseDay('2100-01-01')! }

/** Every song's and artist's realtime days at `watermark`, summed over the views, zero days left out. */
export async function realtimeAll(
  views: RealtimeView[],
  watermark: number,
): Promise<{ ready: boolean; partitions: number[]; truth: Record<string, Record<string, Values>> }> {
  const out: Record<string, Record<string, Values>> = {}
  const partitions: number[] = []
  let ready = true
  const ids: Array<[EntityKind, string]> = [
    ...SONGS.map((s) => ['song', s.songId] as [EntityKind, string]),
    ...ARTISTS.map((a) => ['artist', a.artistId] as [EntityKind, string]),
  ]
  for (const [kind, id] of ids) {
    const sum: Record<string, Values> = {}
    for (const view of views) {
      const a = await view.daily({ kind, id, watermark, ...RANGE })
      ready &&= a.ready
      if (kind === 'song' && id === 's0') partitions.push(...a.partitions)
      for (const [d, v] of a.days) {
        const day = formatDay(d)
        const acc = (sum[day] ??= {})
        for (const [m, x] of Object.entries(v)) acc[m] = (acc[m] ?? 0) + x
      }
    }
    out[`${kind}:${id}`] = nonZero(sum)
  }
  return { ready, partitions: partitions.sort((a, b) => a - b), truth: out }
}

export function truthRecord(t: Oracle): Record<string, Record<string, Values>> {
  const out: Record<string, Record<string, Values>> = {}
  for (const key of [...SONGS.map((s) => `song:${s.songId}`), ...ARTISTS.map((a) => `artist:${a.artistId}`)]) {
    out[key] = nonZero(Object.fromEntries(t.get(key) ?? new Map()) as Record<string, Values>)
  }
  return out
}

/** Adds B to A per (key, day, metric): the batch part plus the realtime part. */
export function addRecords(
  a: Record<string, Record<string, Values>>,
  b: Record<string, Record<string, Values>>,
): Record<string, Record<string, Values>> {
  const out: Record<string, Record<string, Values>> = structuredClone(a)
  for (const [k, days] of Object.entries(b)) {
    const o = (out[k] ??= {})
    for (const [d, v] of Object.entries(days)) {
      const acc = (o[d] ??= {})
      for (const [m, x] of Object.entries(v)) acc[m] = (acc[m] ?? 0) + x
    }
  }
  return out
}

/** A test topic with `partitions` partitions and its DLQ, deleted after the test; returns a connected producer. */
export async function setupTopic(config: Readonly<Config>) {
  cleanupTopics(config)
  const kafka = createKafka(config)
  const admin = kafka.admin()
  await admin.connect()
  await ensureTopics(admin, config)
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  onTestFinished(async () => {
    await producer.disconnect()
    await admin.disconnect()
  })
  const produce = async (messages: Message[]): Promise<void> => {
    for (let i = 0; i < messages.length; i += 500) {
      await producer.send({ topic: config.kafka.topic, messages: messages.slice(i, i + 500) })
    }
  }
  return { kafka, admin, producer, produce }
}

/** A speed layer on the test config, stopped after the test (stopping twice is harmless). */
export function speed(config: Readonly<Config>, options: SpeedOptions = {}): SpeedLayer & { registry: Registry } {
  const registry = new Registry()
  const lake = openLake(config)
  const layer = buildSpeedLayer(
    config,
    { catalog, lake, log: createLogger({ level: 'silent' }), registry },
    { manifestPollMs: 200, ...options },
  )
  let stopped = false
  const stop = async (): Promise<void> => {
    if (stopped) return
    stopped = true
    await layer.stop()
  }
  onTestFinished(stop)
  return { ...layer, stop, registry }
}

/** Waits until the views, summed, equal `expected` and are ready; returns the last answer for the assertion. */
export async function settle(
  views: RealtimeView[],
  watermark: number,
  expected: Record<string, Record<string, Values>>,
  timeoutMs = 30_000,
) {
  let last = await realtimeAll(views, watermark)
  try {
    await eventually(
      async () => {
        last = await realtimeAll(views, watermark)
        return last.ready && isDeepStrictEqual(last.truth, expected) ? true : undefined
      },
      timeoutMs,
      'the realtime view to equal the ground truth',
    )
  } catch {
    // Falls through to the caller's assertion, which shows the difference.
  }
  return last
}
