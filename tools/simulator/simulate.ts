/**
 * The listener simulator as a pure generator: N listeners over an event-time span, sessions of songs chosen by
 * popularity and taste, each song a `play` then `complete` or `skip` (sometimes a `pause` in between, a `like` or
 * `dislike` after). Outputs come in emission order with the exact line to send, and say whether each is valid,
 * late, a duplicate or malformed, so tests can compute the ground truth from the same stream.
 * Same options (seed, start, ...) give the same outputs, byte for byte.
 */
import type { Catalog, Song } from '../../shared/catalog/catalog.ts'
import type { Device, ListenEvent, RejectReason } from '../../shared/event.ts'
import { createRandom, subSeed, type Random } from '../../shared/random.ts'
import { lateness, malformedLine, retryDelay } from './faults.ts'
import { habitFor } from './habits.ts'
import { TimeHeap } from './heap.ts'
import {
  activeAtStart,
  chooseSong,
  createListener,
  deviceTable,
  MEAN_SONGS_PER_SESSION,
  nextSessionStart,
  SongChooser,
  type Listener,
} from './listeners.ts'

export interface SimOptions {
  catalog: Catalog
  listeners: number
  /** Event time of the first instant simulated (epoch ms). */
  start: number
  durationMs: number
  seed: number
  /** Fractions of base events: resent with the same eventId / sent with ts hours or days back / followed by a broken line. */
  duplicates?: number
  late?: number
  malformed?: number
}

export type SimKind = 'valid' | 'late' | 'duplicate' | 'malformed'

export interface SimOutput {
  /** When the app sends it (simulated epoch ms); equals the event's ts except for late events and retries. */
  at: number
  /** The Kafka key: the listener's userId. */
  key: string
  /** The exact bytes sent (one NDJSON line, without the newline). */
  line: string
  kind: SimKind
  /** The normalised event for valid, late and duplicate outputs. */
  event?: ListenEvent
  /** For malformed outputs: the reason a validator must give. */
  reason?: RejectReason
}

/** Behaviour model; the simulator tests assert the mix these produce. */
export const BEHAVIOUR = {
  favoriteSkipFactor: 0.35,
  tasteSkipFactor: 0.9,
  otherSkipFactor: 1.3,
  pauseChance: 0.06,
  likeOnComplete: { favorite: 0.15, other: 0.04 },
  dislikeOnSkip: 0.06,
  sessionDeviceChange: 0.15,
} as const

interface State {
  readonly l: Listener
  device: Device
  songsLeft: number
  pending: ListenEvent[]
  next: number
  nextSongAt: number
}

function validate(o: SimOptions): void {
  if (!Number.isInteger(o.listeners) || o.listeners < 0 || o.listeners > 10_000_000)
    throw new RangeError('listeners must be an integer in 0..10,000,000')
  if (!Number.isFinite(o.start) || !(o.durationMs > 0))
    throw new RangeError('start must be epoch ms and durationMs > 0')
  for (const f of ['duplicates', 'late', 'malformed'] as const) {
    const v = o[f] ?? 0
    if (!(v >= 0 && v <= 1)) throw new RangeError(`${f} must be a fraction in [0, 1]`)
  }
}

const NEEDS_ESCAPE = /["\\]|[^ -\uFFFF]/

/** The line an app sends; hand-built (no escaping needed but for songId) because JSON.stringify dominated the profile. */
export function lineOf(e: ListenEvent, isoTs: boolean): string {
  const ts = isoTs ? `"${new Date(e.ts).toISOString()}"` : String(e.ts)
  const songId = NEEDS_ESCAPE.test(e.songId) ? JSON.stringify(e.songId) : `"${e.songId}"`
  const ms = e.msPlayed === undefined ? '' : `,"msPlayed":${e.msPlayed}`
  return `{"eventId":"${e.eventId}","ts":${ts},"userId":"${e.userId}","songId":${songId},"type":"${e.type}"${ms},"device":"${e.device}","country":"${e.country}"}`
}

function makeEvent(
  rng: Random,
  s: State,
  songId: string,
  type: ListenEvent['type'],
  ts: number,
  msPlayed?: number,
): ListenEvent {
  return msPlayed === undefined
    ? { eventId: rng.uuid(), ts, userId: s.l.userId, songId, type, device: s.device, country: s.l.country }
    : { eventId: rng.uuid(), ts, userId: s.l.userId, songId, type, msPlayed, device: s.device, country: s.l.country }
}

export function* simulate(opts: SimOptions): Generator<SimOutput, void, undefined> {
  validate(opts)
  const rng = createRandom(subSeed(opts.seed, 'listeners'))
  const frng = createRandom(subSeed(opts.seed, 'faults'))
  const chooser = new SongChooser(opts.catalog)
  const end = opts.start + opts.durationMs
  const heap = new TimeHeap<State>()
  const retries = new TimeHeap<SimOutput>()
  const { duplicates = 0, late = 0, malformed = 0 } = opts

  for (let i = 0; i < opts.listeners; i++) {
    const l = createListener(i, opts.listeners, rng, chooser, habitFor(opts.seed, i))
    const s: State = { l, device: l.device, songsLeft: 0, pending: [], next: 0, nextSongAt: 0 }
    const first = activeAtStart(l, opts.start, rng)
      ? opts.start + rng.int(180_000)
      : nextSessionStart(l, opts.start, rng)
    heap.push(first, s)
  }

  const planSong = (s: State, t: number): void => {
    if (s.songsLeft === 0) {
      s.songsLeft = 1 + Math.floor(rng.exp(MEAN_SONGS_PER_SESSION - 1))
      s.device = rng.chance(BEHAVIOUR.sessionDeviceChange) ? deviceTable.draw(rng) : s.l.device
    }
    s.songsLeft--
    const song = chooseSong(s.l, chooser, rng)
    const id = song.songId
    const skipped = rng.chance(skipChance(s.l, song))
    // Skips cluster in the first seconds of a song; a few come late.
    const listened = skipped ? Math.min(song.durationMs - 1000, Math.round(1000 + rng.exp(25_000))) : song.durationMs
    const out: ListenEvent[] = [makeEvent(rng, s, id, 'play', t)]
    let ended = t + listened
    let before = 0
    if (rng.chance(BEHAVIOUR.pauseChance)) {
      before = 1000 + rng.int(Math.max(1, listened - 2000))
      out.push(makeEvent(rng, s, id, 'pause', t + before, before))
      ended += Math.round(5000 + rng.exp(60_000))
    }
    out.push(makeEvent(rng, s, id, skipped ? 'skip' : 'complete', ended, listened - before))
    let after = ended
    const favorite = s.l.favorites.has(song.songId)
    if (!skipped && rng.chance(favorite ? BEHAVIOUR.likeOnComplete.favorite : BEHAVIOUR.likeOnComplete.other)) {
      after += 1000 + rng.int(4000)
      out.push(makeEvent(rng, s, id, 'like', after))
    } else if (skipped && rng.chance(BEHAVIOUR.dislikeOnSkip)) {
      after += 500 + rng.int(2000)
      out.push(makeEvent(rng, s, id, 'dislike', after))
    }
    s.pending = out
    s.next = 0
    s.nextSongAt = after + 300 + rng.int(1500)
  }

  while (heap.size > 0 && heap.peekTime() < end) {
    const t = heap.peekTime()
    const s = heap.pop()!
    if (s.next >= s.pending.length) {
      planSong(s, t)
      heap.push(s.pending[0]!.ts, s)
      continue
    }
    const e = s.pending[s.next++]!
    while (retries.peekTime() <= t) {
      const at = retries.peekTime()
      yield { ...retries.pop()!, at }
    }
    // Three fault draws per event from their own stream, whatever the fractions: the listeners' stream never shifts.
    const isLate = frng.next() < late
    const isDup = frng.next() < duplicates
    const isBad = frng.next() < malformed
    let out: SimOutput
    if (isLate) {
      const shifted = { ...e, ts: e.ts - lateness(frng) }
      out = { at: e.ts, key: e.userId, line: lineOf(shifted, s.l.isoTs), kind: 'late', event: shifted }
    } else {
      out = { at: e.ts, key: e.userId, line: lineOf(e, s.l.isoTs), kind: 'valid', event: e }
    }
    if (isDup) retries.push(out.at + retryDelay(frng), { ...out, kind: 'duplicate' })
    yield out
    if (isBad) {
      const bad = malformedLine(e, s.l.isoTs, frng)
      yield { at: e.ts, key: e.userId, line: bad.line, kind: 'malformed', reason: bad.reason }
    }
    if (s.next < s.pending.length) heap.push(s.pending[s.next]!.ts, s)
    else if (s.songsLeft > 0) heap.push(s.nextSongAt, s)
    else heap.push(nextSessionStart(s.l, s.nextSongAt, rng), s)
  }
  while (retries.size > 0) {
    const at = retries.peekTime()
    yield { ...retries.pop()!, at }
  }
}

function skipChance(l: Listener, song: Song): number {
  const factor = l.favorites.has(song.songId)
    ? BEHAVIOUR.favoriteSkipFactor
    : l.genres.includes(song.genre)
      ? BEHAVIOUR.tasteSkipFactor
      : BEHAVIOUR.otherSkipFactor
  return Math.min(0.9, l.skipBase * factor)
}
