/**
 * The faults real pipelines see, injected on purpose: retries that resend the same eventId, events that arrive
 * hours or days after they happened, and lines that break the contract in each way the validators must catch.
 */
import type { ListenEvent, RejectReason } from '../../shared/event.ts'
import { HOUR_MS } from '../../shared/layout.ts'
import type { Random } from '../../shared/random.ts'

export type MalformedKind = 'bad_json' | 'missing_field' | 'unknown_song' | 'future_ts'
export const MALFORMED_KINDS: readonly MalformedKind[] = ['bad_json', 'missing_field', 'unknown_song', 'future_ts']

const REQUIRED = ['eventId', 'ts', 'userId', 'songId', 'type'] as const
const HUNDRED_YEARS_MS = 100 * 365 * 24 * HOUR_MS

/** How late a late event is: between 1 hour and 3 days, most of them within the day. */
export function lateness(rng: Random): number {
  return Math.round(Math.min(72 * HOUR_MS, HOUR_MS + rng.exp(10 * HOUR_MS)))
}

/** A retry comes back after a client timeout: 1 to 30 seconds. */
export function retryDelay(rng: Random): number {
  return 1000 + rng.int(29_000)
}

export interface MalformedLine {
  line: string
  reason: RejectReason
}

/** A broken variant of a (valid) event, with a fresh eventId so it never collides with a real one. */
export function malformedLine(e: ListenEvent, isoTs: boolean, rng: Random): MalformedLine {
  const kind = rng.pick(MALFORMED_KINDS)
  const base: Record<string, unknown> = { ...e, eventId: rng.uuid(), ts: isoTs ? new Date(e.ts).toISOString() : e.ts }
  switch (kind) {
    case 'bad_json': {
      const full = JSON.stringify(base)
      return { line: full.slice(0, 1 + rng.int(full.length - 2)), reason: 'bad_json' }
    }
    case 'missing_field': {
      delete base[rng.pick(REQUIRED)]
      return { line: JSON.stringify(base), reason: 'missing_field' }
    }
    case 'unknown_song':
      return { line: JSON.stringify({ ...base, songId: `so-unknown-${rng.int(1e9)}` }), reason: 'unknown_song' }
    case 'future_ts': {
      // Far enough ahead to be in the future on any machine that replays this run.
      const ts = e.ts + HUNDRED_YEARS_MS
      return { line: JSON.stringify({ ...base, ts: isoTs ? new Date(ts).toISOString() : ts }), reason: 'future_ts' }
    }
  }
}
