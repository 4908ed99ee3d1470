/**
 * Kafka messages to CSV rows of the events file, as bytes. This is the archiver's per-message work: validating and
 * writing the row. It runs on the encoder thread (encoder-thread.ts), so the consuming thread only decodes Kafka
 * batches; one batch travels as one `KafkaBatchBuffers` (shared/fast/batch-packing.ts) and comes back as one
 * `EncodedRows`.
 *
 * Validation is the speed layer's, one function (shared/fast/validate.ts): a message the byte scan accepted has its
 * row copied from its bytes (no strings, no event object); one the full parser accepted is written from its event.
 */
import { DEVICES, EVENT_TYPES, type ListenEvent } from '../../shared/event.ts'
import { FIELD, type ScannedFields } from '../../shared/fast/event-scan.ts'
import { Interner } from '../../shared/fast/interner.ts'
import type { KafkaBatchBuffers } from '../../shared/fast/batch-packing.ts'
import { MessageValidator, PARSED, SCANNED, type Rejection } from '../../shared/fast/validate.ts'

/** The CSV columns as DuckDB reads them; the times are epoch milliseconds here and TIMESTAMPTZ in Parquet. */
export const ROW_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['event_id', 'VARCHAR'],
  ['ts', 'BIGINT'],
  ['arrived_at', 'BIGINT'],
  ['user_id', 'VARCHAR'],
  ['song_id', 'VARCHAR'],
  ['artist_id', 'VARCHAR'],
  ['type', 'VARCHAR'],
  ['ms_played', 'INTEGER'],
  ['device', 'VARCHAR'],
  ['country', 'VARCHAR'],
  ['kafka_partition', 'INTEGER'],
  ['kafka_offset', 'BIGINT'],
]

/** A rejection (shared/fast/validate.ts) with the message's bytes, which its dead letter carries (null: no value). */
export interface RejectionWithBytes extends Rejection {
  value: Uint8Array | null
}

/**
 * The rows of a batch: message k's CSV line is `lines[lineEnds[k-1], lineEnds[k])` (from 0 for k = 0), empty when
 * the message is invalid; the invalid ones are in `rejections` with their bytes, for their dead letters.
 */
export interface EncodedRows {
  lines: Uint8Array
  lineEnds: Int32Array
  rejections: RejectionWithBytes[]
}

const QUOTE = 34
const COMMA = 44
const NEWLINE = 10
const DIGITS = new Uint8Array(20)

/** The type and device literals as CSV fields (with their comma), by their index in the contract's lists. */
const TYPE_FIELDS = EVENT_TYPES.map((t) => Buffer.from(`${t},`))
const DEVICE_FIELDS = DEVICES.map((d) => Buffer.from(`${d},`))

/**
 * A growing byte buffer of CSV rows. Fields that the event contract already rules safe (userId's pattern, the type
 * and device literals, two capitals of country) and plain ASCII strings are copied byte by byte; a string with a
 * quote, comma, line break or non-ASCII character is quoted and UTF-8 encoded. An empty string is quoted ("")
 * because DuckDB reads an unquoted empty field as NULL.
 */
export class CsvRows {
  bytes: Buffer
  length = 0
  /** The last arrival time written and its field (digits and comma). */
  private arrivalMs = -1
  private arrivalField: Uint8Array = new Uint8Array(0)

  constructor(capacity = 64 * 1024) {
    this.bytes = Buffer.allocUnsafeSlow(capacity)
  }

  /** One row in the column order of ROW_COLUMNS; optional fields are left empty (NULL). */
  row(e: ListenEvent, artistId: string, arrivedAt: number, partition: number, offset: number): void {
    // A row is at most 12 fields of at most 3 bytes a character, quoted, plus separators.
    this.reserve(3 * (e.eventId.length + e.userId.length + e.songId.length + artistId.length) + 200)
    this.text(e.eventId)
    this.integer(e.ts)
    this.arrival(arrivedAt)
    this.text(e.userId)
    this.text(e.songId)
    this.text(artistId)
    this.text(e.type)
    if (e.msPlayed !== undefined) this.integer(e.msPlayed)
    else this.bytes[this.length++] = COMMA
    if (e.device !== undefined) this.text(e.device)
    else this.bytes[this.length++] = COMMA
    if (e.country !== undefined) this.text(e.country)
    else this.bytes[this.length++] = COMMA
    this.integer(partition)
    this.integer(offset)
    this.bytes[this.length - 1] = NEWLINE
  }

  /**
   * The row of a message that the byte scan accepted, from the message's bytes: `fields` of the scan of `src`,
   * and the artist as a ready CSV field (`fieldBytes`).
   */
  scanned(
    src: Uint8Array,
    fields: ScannedFields,
    artistField: Uint8Array,
    arrivedAt: number,
    partition: number,
    offset: number,
  ): void {
    const { starts, ends, numbers, seen } = fields
    // Ids are at most 64 bytes (quoted: 66), numbers at most 16 digits, literals shorter: 400 is room enough.
    this.reserve(400 + artistField.length)
    this.ascii(src, starts[FIELD.eventId]!, ends[FIELD.eventId]!)
    this.digits(src, starts[FIELD.ts]!, ends[FIELD.ts]!)
    this.arrival(arrivedAt)
    this.ascii(src, starts[FIELD.userId]!, ends[FIELD.userId]!)
    this.ascii(src, starts[FIELD.songId]!, ends[FIELD.songId]!)
    this.raw(artistField)
    this.raw(TYPE_FIELDS[numbers[FIELD.type]!]!)
    if ((seen & (1 << FIELD.msPlayed)) !== 0) this.digits(src, starts[FIELD.msPlayed]!, ends[FIELD.msPlayed]!)
    else this.bytes[this.length++] = COMMA
    if ((seen & (1 << FIELD.device)) !== 0) this.raw(DEVICE_FIELDS[numbers[FIELD.device]!]!)
    else this.bytes[this.length++] = COMMA
    if ((seen & (1 << FIELD.country)) !== 0) {
      const code = numbers[FIELD.country]!
      this.bytes[this.length++] = 65 + Math.floor(code / 26)
      this.bytes[this.length++] = 65 + (code % 26)
    }
    this.bytes[this.length++] = COMMA
    this.integer(partition)
    this.integer(offset)
    this.bytes[this.length - 1] = NEWLINE
  }

  /** A string field as CSV bytes with its comma (for a value written many times, e.g. an artist id). */
  static field(s: string): Buffer {
    const one = new CsvRows(3 * s.length + 4)
    one.text(s)
    return one.bytes.subarray(0, one.length)
  }

  /** The bytes written so far, as a fresh buffer of their own (transferable); then starts again. */
  take(): Uint8Array {
    const out = new Uint8Array(this.length)
    out.set(this.bytes.subarray(0, this.length))
    this.length = 0
    return out
  }

  private reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return
    const grown = Buffer.allocUnsafeSlow(Math.max(this.bytes.length * 2, this.length + n))
    this.bytes.copy(grown, 0, 0, this.length)
    this.bytes = grown
  }

  /**
   * A string field the byte scan saw, `src[s, e)`, and its comma: non-empty ASCII without quotes, backslashes or
   * control characters, so it is quoted only when it holds a comma.
   */
  private ascii(src: Uint8Array, s: number, e: number): void {
    const bytes = this.bytes
    let p = this.length
    let comma = false
    for (let i = s; i < e; i++) {
      const c = src[i]!
      if (c === COMMA) comma = true
      bytes[p++] = c
    }
    if (comma) {
      p = this.length
      bytes[p++] = QUOTE
      for (let i = s; i < e; i++) bytes[p++] = src[i]!
      bytes[p++] = QUOTE
    }
    bytes[p++] = COMMA
    this.length = p
  }

  /** A number field the byte scan saw, `src[s, e)`: its digits are the number's decimal form, so they are copied. */
  private digits(src: Uint8Array, s: number, e: number): void {
    const bytes = this.bytes
    let p = this.length
    for (let i = s; i < e; i++) bytes[p++] = src[i]!
    bytes[p++] = COMMA
    this.length = p
  }

  /**
   * The arrival time field. The messages of a Kafka record batch share one arrival time (LogAppendTime), so the
   * field bytes of the last one are kept and copied while it repeats.
   */
  private arrival(ms: number): void {
    if (ms !== this.arrivalMs) {
      const at = this.length
      this.integer(ms)
      this.arrivalField = Uint8Array.from(this.bytes.subarray(at, this.length)) // a copy: Buffer#slice is a view
      this.arrivalMs = ms
    } else this.raw(this.arrivalField)
  }

  /** Ready field bytes (a few bytes: a byte loop costs less than a native copy's call). */
  private raw(field: Uint8Array): void {
    const bytes = this.bytes
    let p = this.length
    for (let i = 0; i < field.length; i++) bytes[p++] = field[i]!
    this.length = p
  }

  /** A string field and its comma. */
  private text(s: string): void {
    const bytes = this.bytes
    let p = this.length
    const n = s.length
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i)
      if (c >= 128 || c === QUOTE || c === COMMA || c === NEWLINE || c === 13) {
        this.quoted(s)
        return
      }
      bytes[p++] = c
    }
    if (n === 0) {
      this.quoted(s)
      return
    }
    bytes[p++] = COMMA
    this.length = p
  }

  private quoted(s: string): void {
    this.length += this.bytes.write(`"${s.replaceAll('"', '""')}",`, this.length, 'utf8')
  }

  /**
   * A non-negative integer field (below 2^53) and its comma. Digits come from 32-bit integer arithmetic: a number
   * of 10 digits or more (epoch milliseconds, large offsets) is written as its high part, then 9 low digits.
   */
  private integer(v: number): void {
    let n = 0
    if (v >= 1e9) {
      let high = Math.floor(v / 1e9)
      let low = v - high * 1e9
      // v / 1e9 can round up to the next integer for v just below a multiple of 1e9 near 2^53.
      if (low < 0) {
        high--
        low += 1e9
      }
      for (let i = 0; i < 9; i++) {
        const q = (low / 10) | 0
        DIGITS[n++] = 48 + low - q * 10
        low = q
      }
      v = high
    }
    let small = v | 0
    do {
      const q = (small / 10) | 0
      DIGITS[n++] = 48 + small - q * 10
      small = q
    } while (small > 0)
    const bytes = this.bytes
    let p = this.length
    while (n > 0) bytes[p++] = DIGITS[--n]!
    bytes[p++] = COMMA
    this.length = p
  }
}

/** Validates and encodes batches against one catalog (song id to artist id). */
export class RowEncoder {
  private readonly artistOf: ReadonlyMap<string, string>
  /** Songs looked up by their bytes (no string per message), and each song's artist id as a ready CSV field. */
  private readonly songs = new Interner(false)
  private readonly artistFields: Buffer[] = []
  private readonly validator = new MessageValidator(this.songs)
  private readonly rows = new CsvRows(1 << 20)

  constructor(songs: Iterable<readonly [songId: string, artistId: string]>) {
    this.artistOf = new Map(songs)
    for (const [song, artist] of this.artistOf) this.artistFields[this.songs.internString(song)] = CsvRows.field(artist)
  }

  encode(b: KafkaBatchBuffers): EncodedRows {
    const { starts, ends, offsets, arrivals, partition, values } = b
    const { rows, validator, artistFields } = this
    const lineEnds = new Int32Array(b.count)
    const rejections: RejectionWithBytes[] = []
    let nulls = 0
    for (let k = 0; k < b.count; k++) {
      const arrivedAt = arrivals[k]!
      const verdict = validator.check(values, starts[k]!, ends[k]!, arrivedAt)
      if (verdict === SCANNED)
        rows.scanned(values, validator.fields, artistFields[validator.song]!, arrivedAt, partition, offsets[k]!)
      else if (verdict === PARSED)
        rows.row(validator.event!, this.artistOf.get(validator.event!.songId)!, arrivedAt, partition, offsets[k]!)
      else {
        const isNull = b.nulls[nulls] === k
        if (isNull) nulls++
        const value = isNull ? null : Uint8Array.prototype.slice.call(values, starts[k]!, ends[k]!)
        rejections.push({ index: k, offset: offsets[k]!, issue: validator.issue!, value })
      }
      lineEnds[k] = rows.length
    }
    return { lines: rows.take(), lineEnds, rejections }
  }
}
