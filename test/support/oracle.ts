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

function zero(): DayValues {
  return { plays: 0, completes: 0, skips: 0, likes: 0, dislikes: 0, msPlayed: 0, listeners: 0 }
}

/** One event into `v`: its type's count, its msPlayed, and its listener among the players of `listenersKey`. */
function count(v: DayValues, e: ListenEvent, players: Map<string, Set<string>>, listenersKey: string): void {
  if (e.type === 'play') v.plays++
  else if (e.type === 'complete') v.completes++
  else if (e.type === 'skip') v.skips++
  else if (e.type === 'like') v.likes++
  else if (e.type === 'dislike') v.dislikes++
  v.msPlayed += e.msPlayed ?? 0
  if (e.type === 'play') {
    let s = players.get(listenersKey)
    if (!s) players.set(listenersKey, (s = new Set()))
    s.add(e.userId)
    v.listeners = s.size
  }
}

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
      if (!v) days.set(day, (v = zero()))
      count(v, e, sets, `${key}|${day}`)
    }
  }
  return out
}

/** A listener's profile as the oracle reads it (docs/ARCHITECTURE.md#listener-profiles). */
export interface OracleProfile {
  country: string | null
  birthYear: number | null
  gender: string
  tier: string
}

const BANDS: ReadonlyArray<readonly [string, number, number]> = [
  ['13-17', 13, 17],
  ['18-24', 18, 24],
  ['25-34', 25, 34],
  ['35-44', 35, 44],
  ['45-54', 45, 54],
  ['55-64', 55, 64],
  ['65+', 65, 150],
]

/**
 * The breakdowns' ground truth, from the words of docs/ARCHITECTURE.md#dimensions and independent of
 * shared/dimensions.ts: country is the event's, else the profile's; device the event's; hour the UTC hour of ts
 * (two digits); age the band of (year of ts − birth year); gender and tier the profile's; anything missing is
 * `unknown`; age_gender the two joined by `|`, `unknown` when both are. Key `kind:id|day|dimension|value`; the same
 * metrics as `oracle`.
 */
export function breakdownOracle(
  events: Iterable<ListenEvent>,
  artistOf: (songId: string) => string,
  profiles: ReadonlyMap<string, OracleProfile>,
): Map<string, DayValues> {
  const out = new Map<string, DayValues>()
  const sets = new Map<string, Set<string>>()
  const seen = new Set<string>()
  for (const e of events) {
    if (seen.has(e.eventId)) continue
    seen.add(e.eventId)
    const day = dayOf(e.ts)
    const p = profiles.get(e.userId)
    const at = new Date(e.ts)
    const age = p?.birthYear == null ? undefined : at.getUTCFullYear() - p.birthYear
    const band = BANDS.find(([, lo, hi]) => age !== undefined && age >= lo && age <= hi)?.[0] ?? 'unknown'
    const gender = p?.gender ?? 'unknown'
    const values: Record<string, string> = {
      country: e.country ?? p?.country ?? 'unknown',
      device: e.device ?? 'unknown',
      hour: String(at.getUTCHours()).padStart(2, '0'),
      age: band,
      gender,
      tier: p?.tier ?? 'unknown',
      age_gender: band === 'unknown' && gender === 'unknown' ? 'unknown' : `${band}|${gender}`,
    }
    for (const entity of [`song:${e.songId}`, `artist:${artistOf(e.songId)}`]) {
      for (const [dimension, value] of Object.entries(values)) {
        const key = `${entity}|${day}|${dimension}|${value}`
        let v = out.get(key)
        if (!v) out.set(key, (v = zero()))
        count(v, e, sets, key)
      }
    }
  }
  return out
}
