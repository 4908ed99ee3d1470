/**
 * The ground truth of interest-list signals, written from the words of docs/ARCHITECTURE.md#signals and independent
 * of speed-layer/signals/: duplicates of an eventId count once; for each rule, a listener's events of the rule's
 * type are grouped by (song or artist, window) where a window is [k * width, (k + 1) * width) of event time; a
 * window fires once, at the event that brings its count to the threshold, and reports the first and last event
 * times among the events counted so far. The id is the first 32 hex digits of sha256 of
 * "rule\nlistener\nkey\nwindowStart". Events are taken in the order given, which must be each listener's log order.
 */
import crypto from 'node:crypto'
import type { ListenEvent } from '../../shared/event.ts'

export interface OracleRule {
  name: string
  type: string
  threshold: number
  windowMs: number
  per: 'song' | 'artist'
}

export interface OracleSignal {
  id: string
  rule: string
  listener: string
  songId: string
  artistId: string
  key: string
  count: number
  firstTs: number
  lastTs: number
  windowStart: number
  windowEnd: number
}

export function signalsOracle(
  events: Iterable<ListenEvent>,
  rules: OracleRule[],
  artistOf: (songId: string) => string,
): OracleSignal[] {
  const seen = new Set<string>()
  const windows = new Map<string, { count: number; first: number; last: number }>()
  const out: OracleSignal[] = []
  for (const e of events) {
    if (seen.has(e.eventId)) continue
    seen.add(e.eventId)
    for (const r of rules) {
      if (e.type !== r.type) continue
      const artistId = artistOf(e.songId)
      const key = r.per === 'song' ? e.songId : artistId
      const windowStart = Math.floor(e.ts / r.windowMs) * r.windowMs
      const k = JSON.stringify([r.name, e.userId, key, windowStart])
      const w = windows.get(k) ?? { count: 0, first: e.ts, last: e.ts }
      windows.set(k, w)
      w.count += 1
      w.first = Math.min(w.first, e.ts)
      w.last = Math.max(w.last, e.ts)
      if (w.count !== r.threshold) continue
      const id = crypto
        .createHash('sha256')
        .update([r.name, e.userId, key, String(windowStart)].join('\n'))
        .digest('hex')
        .slice(0, 32)
      out.push({
        id,
        rule: r.name,
        listener: e.userId,
        songId: e.songId,
        artistId,
        key,
        count: w.count,
        firstTs: w.first,
        lastTs: w.last,
        windowStart,
        windowEnd: windowStart + r.windowMs,
      })
    }
  }
  return out
}
