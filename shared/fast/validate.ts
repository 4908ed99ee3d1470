/**
 * The one validation of a Kafka message's bytes, shared by the speed engine (speed-layer/engine.ts) and the
 * archiver's row encoder (batch-layer/archiver/row-encoder.ts), so both judge every message alike, a message without
 * a value included (its empty bytes are not JSON: `bad_json`).
 *
 * The common message takes the byte scan (event-scan.ts) and its song is found by its bytes in the catalog's
 * interner: no string, no event object. Anything the scan is not sure of, or whose song the scan cannot find, takes
 * shared/event.ts's `parseEventBytes`, which decides and names the issue of an invalid message. A message is judged
 * at its arrival time (not the wall clock), so reading it again gives the same verdict.
 */
import {
  contractFields,
  parseEventBytes,
  scanAccepts,
  type EventIssue,
  type ListenEvent,
  type ParseOptions,
} from '../event.ts'
import { FIELD, type ScannedFields } from './event-scan.ts'
import type { Interner } from './interner.ts'

/** The scan accepted the message: its fields are in `fields`, its song in `song`. */
export const SCANNED = 0
/** The full parser accepted it: the event is in `event`, its song in `song`. */
export const PARSED = 1
/** Invalid: why is in `issue`. */
export const REJECTED = 2
export type Verdict = typeof SCANNED | typeof PARSED | typeof REJECTED

/** What validation yields for an invalid message: which one (index in its batch, offset) and why. */
export interface Rejection {
  index: number
  offset: number
  issue: EventIssue
}

/**
 * Judges messages one at a time against one catalog (the interned song ids). The verdict's details live on the
 * validator until the next `check` (one object for a whole batch, none per message).
 */
export class MessageValidator {
  readonly fields: ScannedFields = contractFields()
  /** The song's id in the catalog interner (SCANNED, PARSED). */
  song = -1
  /** The decoded event (PARSED). */
  event: ListenEvent | undefined
  /** Why the message is invalid (REJECTED). */
  issue: EventIssue | undefined
  private readonly parseOptions: ParseOptions & { now: number }

  constructor(private readonly songs: Interner) {
    this.parseOptions = { now: 0, songExists: (id: string): boolean => songs.internString(id, false) >= 0 }
  }

  /** The verdict on the message `values[start, end)` that arrived at `arrival` (epoch ms). */
  check(values: Uint8Array, start: number, end: number, arrival: number): Verdict {
    const { fields } = this
    if (scanAccepts(fields, values, start, end, arrival)) {
      const song = this.songs.find(values, fields.starts[FIELD.songId]!, fields.ends[FIELD.songId]!)
      if (song >= 0) {
        this.song = song
        return SCANNED
      }
    }
    this.parseOptions.now = arrival
    const r = parseEventBytes(Buffer.from(values.buffer, values.byteOffset + start, end - start), this.parseOptions)
    if (r.ok) {
      this.event = r.event
      this.song = this.songs.internString(r.event.songId, false)
      return PARSED
    }
    this.issue = r.issue
    return REJECTED
  }
}
