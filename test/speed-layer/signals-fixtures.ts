/**
 * Interest-signal test fixtures: events that cross the rules often (few listeners and songs, dense in event time)
 * with retries and late events, a rules file, and a reader of the whole signals topic.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { onTestFinished } from 'vitest'
import type { Config } from '../../shared/config.ts'
import { encodeEvent, type EventType, type ListenEvent } from '../../shared/event.ts'
import { createKafka } from '../../shared/kafka.ts'
import type { Signal } from '../../shared/signals.ts'
import { eventually } from '../helpers.ts'
import { topicOffsets } from '../support/kafka-read.ts'
import { signalsOracle, type OracleRule, type OracleSignal } from '../support/signals-oracle.ts'
import { rng } from '../support/random.ts'
import { catalog, type Message } from './fixtures.ts'

export const RULES: OracleRule[] = [
  { name: 'repeat-play', type: 'play', threshold: 3, windowMs: 30 * 60_000, per: 'song' },
  { name: 'artist-skips', type: 'skip', threshold: 2, windowMs: 10 * 60_000, per: 'artist' },
]

/** The rules above as a SIGNAL_RULES_FILE, deleted after the test. */
export function rulesFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'playcount-rules-'))
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'rules.json')
  fs.writeFileSync(
    file,
    JSON.stringify({
      rules: [
        { name: 'repeat-play', type: 'play', threshold: 3, window: '30m' },
        { name: 'artist-skips', type: 'skip', threshold: 2, window: '10m', per: 'artist' },
      ],
    }),
  )
  return file
}

const TYPES: EventType[] = ['play', 'play', 'play', 'skip', 'complete']

export interface SignalEvents {
  messages: Message[]
  events: ListenEvent[]
}

/**
 * `n` messages from event time `from` on, a few seconds apart: 20 listeners, 4 songs; 10% arrive up to 20 minutes
 * late (within the rules' 1 h lateness), 8% are retries of an earlier event (of `resend` or of this part).
 */
export function signalEvents(seed: number, n: number, from: number, resend: ListenEvent[] = []): SignalEvents {
  const r = rng(seed)
  const messages: Message[] = []
  const events: ListenEvent[] = []
  let t = from
  for (let i = 0; i < n; i++) {
    const pool = resend.length > 0 && (events.length === 0 || r() < 0.5) ? resend : events
    if (pool.length > 0 && r() < 0.08) {
      const e = pool[Math.floor(r() * pool.length)]!
      messages.push({ key: e.userId, value: encodeEvent(e) })
      continue
    }
    t += Math.floor(r() * 4000)
    const ts = r() < 0.1 ? t - Math.floor(r() * 20 * 60_000) : t
    const e: ListenEvent = {
      eventId: `sig${seed}-${i}`,
      ts,
      userId: `u${Math.floor(r() * 20)}`,
      songId: `s${Math.floor(r() * 4)}`,
      type: TYPES[Math.floor(r() * TYPES.length)]!,
    }
    events.push(e)
    messages.push({ key: e.userId, value: encodeEvent(e) })
  }
  return { messages, events }
}

/** The oracle over every message in produce order (a listener's messages stay in order in its partition). */
export function expectedSignals(messages: Message[]): OracleSignal[] {
  const events = messages.map((m) => JSON.parse(m.value) as ListenEvent)
  return signalsOracle(events, RULES, (songId) => catalog.artistOf(songId) ?? '?')
}

/** What the oracle can check of a signal (its position in the log is the speed layer's own). */
export function comparable(s: Signal | OracleSignal): OracleSignal {
  const { id, rule, listener, songId, artistId, key, count, firstTs, lastTs, windowStart, windowEnd } = s
  return { id, rule, listener, songId, artistId, key, count, firstTs, lastTs, windowStart, windowEnd }
}

export function byId(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/** Every message of the signals topic, read from the start to the current end of each partition. */
export async function readSignals(config: Readonly<Config>): Promise<Signal[]> {
  const kafka = createKafka(config)
  const ends = await topicOffsets(config, config.kafka.signalsTopic)
  const left = new Map(ends.filter((o) => Number(o.high) > Number(o.low)).map((o) => [o.partition, Number(o.high)]))
  if (left.size === 0) return []
  const out: Signal[] = []
  const consumer = kafka.consumer({
    groupId: `readback-${crypto.randomBytes(5).toString('hex')}`,
    maxWaitTimeInMs: 100,
  })
  await consumer.connect()
  try {
    await consumer.subscribe({ topic: config.kafka.signalsTopic, fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const end = left.get(partition)
        if (end === undefined || Number(message.offset) >= end) return
        out.push(JSON.parse(message.value!.toString('utf8')) as Signal)
        if (Number(message.offset) + 1 >= end) left.delete(partition)
      },
    })
    await eventually(async () => (left.size === 0 ? true : undefined), 30_000, 'the signals topic read to its end')
  } finally {
    await consumer.disconnect()
  }
  return out
}

/** Waits until the signals topic holds `n` distinct ids (or more messages than that, which the caller reports). */
export async function waitForSignals(config: Readonly<Config>, n: number, timeoutMs = 60_000): Promise<Signal[]> {
  let last: Signal[] = []
  try {
    await eventually(
      async () => {
        last = await readSignals(config)
        return new Set(last.map((s) => s.id)).size >= n ? true : undefined
      },
      timeoutMs,
      `${n} distinct signals`,
    )
  } catch {
    // The caller's assertion shows what is missing.
  }
  return last
}
