/**
 * The ground truth, written from the words of docs/ARCHITECTURE.md#days-and-metrics and independent of
 * shared/metrics.ts: per (kind, id, day) the counts of each event type, msPlayed summed, distinct listeners with a play. Duplicate eventIds count once.
 */
import type { Catalog } from '../../shared/catalog/catalog.ts'
import type { ListenEvent } from '../../shared/event.ts'
import { dayOf } from '../../shared/layout.ts'

export interface DayValues {
  plays: number
  completes: number
  skips: number
  likes: number
  dislikes: number
  msPlayed: number
  listeners: number
}

/** `song:<id>` / `artist:<id>` → day → values (days with no events are absent). */
export type Oracle = Map<string, Map<string, DayValues>>

export function oracle(events: Iterable<ListenEvent>, catalog: Catalog): Oracle {
  const out: Oracle = new Map()
  const sets = new Map<string, Set<string>>()
  const seen = new Set<string>()
  for (const e of events) {
    if (seen.has(e.eventId)) continue
    seen.add(e.eventId)
    const day = dayOf(e.ts)
    for (const key of [`song:${e.songId}`, `artist:${catalog.artistOf(e.songId) ?? '?'}`]) {
      let days = out.get(key)
      if (!days) out.set(key, (days = new Map()))
      let v = days.get(day)
      if (!v)
        days.set(day, (v = { plays: 0, completes: 0, skips: 0, likes: 0, dislikes: 0, msPlayed: 0, listeners: 0 }))
      if (e.type === 'play') v.plays++
      else if (e.type === 'complete') v.completes++
      else if (e.type === 'skip') v.skips++
      else if (e.type === 'like') v.likes++
      else if (e.type === 'dislike') v.dislikes++
      v.msPlayed += e.msPlayed ?? 0
      if (e.type === 'play') {
        const k = `${key}|${day}`
        let s = sets.get(k)
        if (!s) sets.set(k, (s = new Set()))
        s.add(e.userId)
        v.listeners = s.size
      }
    }
  }
  return out
}
