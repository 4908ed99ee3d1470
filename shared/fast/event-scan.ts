/**
 * A fast path for shared/event.ts's `parseEventBytes`: one pass over the bytes of the common message (a flat
 * JSON object of known fields, ASCII strings without escapes, non-negative integers) that checks the contract's
 * rules on the bytes and builds the event, with no JSON.parse and no intermediate object.
 *
 * It only ever answers "valid, and here is the event" or "not sure": anything else (an escape, a non-ASCII byte,
 * an unknown or repeated key, a ts string, a fraction, an invalid value) returns undefined and the caller takes the
 * full path (JSON.parse + the compiled TypeBox check), which decides and names the issue. So the fast path can be
 * incomplete but must never accept what the full path refuses; test/shared/fast/event-scan.test.ts checks that both
 * paths agree on mutated inputs.
 */
import type { Device, EventType, ListenEvent } from '../event.ts'

export interface ScanSpec {
  types: readonly EventType[]
  devices: readonly Device[]
  maxMsPlayed: number
  /** maxLength of eventId and songId (minLength is 1) and of the userId pattern's repeat. */
  maxIdLength: number
}

const QUOTE = 34
const BACKSLASH = 92
const COMMA = 44
const COLON = 58
const OPEN = 123
const CLOSE = 125
const ZERO = 48
const NINE = 57

const F_EVENT_ID = 0
const F_TS = 1
const F_USER_ID = 2
const F_SONG_ID = 3
const F_TYPE = 4
const F_MS_PLAYED = 5
const F_DEVICE = 6
const F_COUNTRY = 7
const KEYS = ['eventId', 'ts', 'userId', 'songId', 'type', 'msPlayed', 'device', 'country'].map((k) => Buffer.from(k))
/** The key (index in KEYS) that starts with two given bytes, `KEY_BY_PREFIX[b0 * 128 + b1]`, or -1. */
const KEY_BY_PREFIX = new Int8Array(128 * 128).fill(-1)
/**
 * Each key of 4 to 8 bytes as two little-endian 32-bit words, its first and its last four bytes (they overlap when
 * the key is shorter than 8): equal words at both places is equal bytes. Shorter keys are compared byte by byte.
 */
const KEY_HEAD = new Int32Array(KEYS.length)
const KEY_TAIL = new Int32Array(KEYS.length)
KEYS.forEach((k, i) => {
  if (k.length < 2 || k.length > 8) throw new RangeError(`event key ${k.toString()} is not 2 to 8 bytes long`)
  if (KEY_BY_PREFIX[k[0]! * 128 + k[1]!] !== -1) throw new RangeError('two event keys share their first two bytes')
  KEY_BY_PREFIX[k[0]! * 128 + k[1]!] = i
  if (k.length >= 4) {
    KEY_HEAD[i] = k.readInt32LE(0)
    KEY_TAIL[i] = k.readInt32LE(k.length - 4)
  }
})
const REQUIRED = (1 << F_EVENT_ID) | (1 << F_TS) | (1 << F_USER_ID) | (1 << F_SONG_ID) | (1 << F_TYPE)

/** The bytes of ^[A-Za-z0-9_.:-]$ (the userId pattern's class). */
const USER_ID_BYTE = new Uint8Array(128)
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-') USER_ID_BYTE[c.charCodeAt(0)] = 1

/**
 * Word-at-a-time string scanning (four bytes in one 32-bit integer, little-endian). `hasZeroByte(w)` is the classic
 * test "some byte of w is 0" (so `hasZeroByte(w ^ QUOTES)` is "some byte is a quote"); on a word with no byte of 128
 * or more, `(w - SPACES) & ~w & HIGH_BITS` is nonzero when some byte is below 0x20, a control character. These tests
 * are exact about whether such a byte exists, not about which byte it is: a word that fails is scanned again byte by
 * byte.
 */
const ONES = 0x01010101
const HIGH_BITS = 0x80808080 | 0
const QUOTES = 0x22222222
const BACKSLASHES = 0x5c5c5c5c
const SPACES = 0x20202020

function hasZeroByte(w: number): boolean {
  return ((w - ONES) & ~w & HIGH_BITS) !== 0
}

/** True when all four bytes of `w` may stand in a fast-path string: ASCII, no control character, quote or backslash. */
function isPlainWord(w: number): boolean {
  return (
    (w & HIGH_BITS) === 0 &&
    ((w - SPACES) & ~w & HIGH_BITS) === 0 &&
    !hasZeroByte(w ^ QUOTES) &&
    !hasZeroByte(w ^ BACKSLASHES)
  )
}

function isSpace(b: number): boolean {
  return b === 32 || b === 10 || b === 13 || b === 9
}

function equalsAt(buf: Uint8Array, start: number, end: number, word: Uint8Array): boolean {
  if (end - start !== word.length) return false
  for (let i = 0; i < word.length; i++) if (buf[start + i] !== word[i]) return false
  return true
}

/** The index of `buf[start, end)` among `words`, or -1. */
function indexOf(buf: Uint8Array, start: number, end: number, words: readonly Uint8Array[]): number {
  for (let k = 0; k < words.length; k++) if (equalsAt(buf, start, end, words[k]!)) return k
  return -1
}

/** Field indices of `ScannedFields` (in the order of the contract's keys). */
export const FIELD = {
  eventId: F_EVENT_ID,
  ts: F_TS,
  userId: F_USER_ID,
  songId: F_SONG_ID,
  type: F_TYPE,
  msPlayed: F_MS_PLAYED,
  device: F_DEVICE,
  country: F_COUNTRY,
} as const

/**
 * Where the fields of the last scanned message are: string fields as byte ranges `[starts[f], ends[f])`, ts and
 * msPlayed as values in `numbers[f]` and their digits as byte ranges too (no sign, no leading zero: the digits are
 * `String(value)`), type and device as their index in the spec's lists, country as a*26+b; `seen` has bit f set for
 * each field present. Reused for every message (no allocation).
 */
export interface ScannedFields {
  readonly starts: Int32Array
  readonly ends: Int32Array
  readonly numbers: Float64Array
  seen: number
  /** True when `buf[from, to)` is a valid event by the fast path's rules (false: not sure, take the full path). */
  scan(buf: Uint8Array, from: number, to: number): boolean
}

export function fieldScanner(spec: ScanSpec): ScannedFields {
  const typeBytes = spec.types.map((t) => Buffer.from(t))
  const deviceBytes = spec.devices.map((d) => Buffer.from(d))
  // Field positions of the message being scanned (start and end byte of each string, the value of each number).
  const starts = new Int32Array(KEYS.length)
  const ends = new Int32Array(KEYS.length)
  const numbers = new Float64Array(KEYS.length)
  const out: ScannedFields = { starts, ends, numbers, seen: 0, scan }
  /** A view of the buffer being scanned, for reading words; made once per buffer (a batch's values are one). */
  let view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0))
  let viewed: Uint8Array | undefined

  /**
   * The end of the ASCII, escape-free string whose opening quote is at `i - 1`; -1 when it is not one. Four bytes at
   * a time while they are plain, then byte by byte.
   */
  function stringEnd(buf: Uint8Array, i: number, n: number): number {
    while (i + 4 <= n && isPlainWord(view.getInt32(i, true))) i += 4
    for (; i < n; i++) {
      const b = buf[i]!
      if (b === QUOTE) return i
      if (b < 32 || b >= 128 || b === BACKSLASH) return -1
    }
    return -1
  }

  /**
   * Which known key starts at `ks` (just after its opening quote) and is followed by its closing quote, or -1: one
   * candidate by its first two bytes, then a compare of all its bytes (two words, or byte by byte under four).
   */
  function keyAt(buf: Uint8Array, ks: number, n: number): number {
    if (ks + 2 >= n) return -1
    const k = KEY_BY_PREFIX[(buf[ks]! & 127) * 128 + (buf[ks + 1]! & 127)]!
    if (k < 0) return -1
    const key = KEYS[k]!
    const len = key.length
    if (ks + len >= n || buf[ks + len] !== QUOTE) return -1
    if (len < 4) return equalsAt(buf, ks, ks + len, key) ? k : -1
    return view.getInt32(ks, true) === KEY_HEAD[k] && view.getInt32(ks + len - 4, true) === KEY_TAIL[k] ? k : -1
  }

  /** Scans a non-negative integer of at most 15 digits (exact in a double) without fraction or exponent. */
  function integerEnd(buf: Uint8Array, i: number, n: number, field: number): number {
    const start = i
    let v = 0
    for (; i < n; i++) {
      const b = buf[i]!
      if (b < ZERO || b > NINE) break
      v = v * 10 + (b - ZERO)
    }
    const digits = i - start
    if (digits === 0 || digits > 15 || (digits > 1 && buf[start] === ZERO)) return -1
    const b = i < n ? buf[i] : -1
    if (b === 46 || b === 101 || b === 69) return -1 // '.', 'e', 'E': JSON.parse decides
    numbers[field] = v
    starts[field] = start
    ends[field] = i
    return i
  }

  function validString(buf: Uint8Array, field: number, s: number, e: number): boolean {
    const len = e - s
    switch (field) {
      case F_EVENT_ID:
      case F_SONG_ID:
        return len >= 1 && len <= spec.maxIdLength
      case F_USER_ID:
        if (len < 1 || len > spec.maxIdLength) return false
        for (let i = s; i < e; i++) if (USER_ID_BYTE[buf[i]!] !== 1) return false
        return true
      case F_TYPE:
        numbers[field] = indexOf(buf, s, e, typeBytes)
        return numbers[field] >= 0
      case F_DEVICE:
        numbers[field] = indexOf(buf, s, e, deviceBytes)
        return numbers[field] >= 0
      case F_COUNTRY: {
        if (len !== 2) return false
        const a = buf[s]! - 65
        const b = buf[s + 1]! - 65
        if (a < 0 || a > 25 || b < 0 || b > 25) return false
        numbers[field] = a * 26 + b
        return true
      }
      default:
        return false
    }
  }

  function scan(buf: Uint8Array, from: number, n: number): boolean {
    if (buf !== viewed) {
      view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
      viewed = buf
    }
    let i = from
    while (i < n && isSpace(buf[i]!)) i++
    if (i >= n || buf[i] !== OPEN) return false
    i++
    let seen = 0
    for (;;) {
      while (i < n && isSpace(buf[i]!)) i++
      if (i >= n || buf[i] !== QUOTE) return false
      const ks = i + 1
      const field = keyAt(buf, ks, n)
      if (field < 0 || (seen & (1 << field)) !== 0) return false
      seen |= 1 << field
      i = ks + KEYS[field]!.length + 1
      while (i < n && isSpace(buf[i]!)) i++
      if (i >= n || buf[i] !== COLON) return false
      i++
      while (i < n && isSpace(buf[i]!)) i++
      if (field === F_TS || field === F_MS_PLAYED) {
        i = integerEnd(buf, i, n, field)
        if (i < 0) return false
      } else {
        if (i >= n || buf[i] !== QUOTE) return false
        const s = i + 1
        const e = stringEnd(buf, s, n)
        if (e < 0 || !validString(buf, field, s, e)) return false
        starts[field] = s
        ends[field] = e
        i = e + 1
      }
      while (i < n && isSpace(buf[i]!)) i++
      if (i < n && buf[i] === COMMA) {
        i++
        continue
      }
      if (i >= n || buf[i] !== CLOSE) return false
      i++
      break
    }
    while (i < n && isSpace(buf[i]!)) i++
    if (i !== n || (seen & REQUIRED) !== REQUIRED) return false
    if ((seen & (1 << F_MS_PLAYED)) !== 0 && numbers[F_MS_PLAYED]! > spec.maxMsPlayed) return false
    out.seen = seen
    return true
  }

  return out
}

/** Builds the event from the fields of an accepted scan of `buf` (strings made here, once per field). */
export function eventBuilder(spec: ScanSpec): (fields: ScannedFields, buf: Buffer) => ListenEvent {
  const countries = new Array<string | undefined>(26 * 26)
  function country(code: number): string {
    return (countries[code] ??= String.fromCharCode(65 + Math.floor(code / 26), 65 + (code % 26)))
  }

  return function build({ starts, ends, numbers, seen }: ScannedFields, buf: Buffer): ListenEvent {
    // ASCII only, so latin1 decodes exactly as utf8 would; each slice is a fresh flat string.
    const event: ListenEvent = {
      eventId: buf.toString('latin1', starts[F_EVENT_ID], ends[F_EVENT_ID]),
      ts: numbers[F_TS]!,
      userId: buf.toString('latin1', starts[F_USER_ID], ends[F_USER_ID]),
      songId: buf.toString('latin1', starts[F_SONG_ID], ends[F_SONG_ID]),
      type: spec.types[numbers[F_TYPE]!]!,
    }
    if ((seen & (1 << F_MS_PLAYED)) !== 0) event.msPlayed = numbers[F_MS_PLAYED]!
    if ((seen & (1 << F_DEVICE)) !== 0) event.device = spec.devices[numbers[F_DEVICE]!]!
    if ((seen & (1 << F_COUNTRY)) !== 0) event.country = country(numbers[F_COUNTRY]!)
    return event
  }
}
