/**
 * The event contract (docs/ARCHITECTURE.md#event): ONE TypeBox schema used by the collector, the consumers and the
 * API docs. `parseEvent` validates and normalises (ts to UTC epoch ms); errors name the field and the rule.
 */
import { Type, type Static } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { FormatRegistry } from '@sinclair/typebox'
import { daysInMonth } from './day.ts'
import { FIELD, eventBuilder, fieldScanner, type ScanSpec, type ScannedFields } from './fast/event-scan.ts'

export const EVENT_TYPES = ['play', 'complete', 'skip', 'like', 'dislike', 'pause'] as const
export const DEVICES = ['mobile', 'desktop', 'web', 'tablet', 'tv', 'speaker', 'other'] as const
export type EventType = (typeof EVENT_TYPES)[number]
export type Device = (typeof DEVICES)[number]

const ISO_WITH_ZONE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(:(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i

/** ISO-8601 with a zone and a real calendar date: Date.parse alone rolls 2024-02-30 over to March 1. */
function isIsoWithZone(s: string): boolean {
  const m = ISO_WITH_ZONE.exec(s)
  if (!m) return false
  const [y, mo, d, h, mi, sec] = [m[1], m[2], m[3], m[4], m[5], m[7] ?? '0'].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || sec > 59) return false
  return !Number.isNaN(Date.parse(s))
}

export const MAX_MS_PLAYED = 24 * 3600 * 1000
export const MAX_EVENT_BYTES = 16 * 1024
export const MAX_FUTURE_MS = 3600 * 1000

export const EventSchema = Type.Object(
  {
    eventId: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'unique per event (UUID); a retry resends the same id; well-formed Unicode',
    }),
    ts: Type.Union(
      [
        Type.String({ format: 'date-time', description: 'ISO-8601 with zone' }),
        Type.Integer({ minimum: 0, description: 'epoch milliseconds' }),
      ],
      { description: 'event time' },
    ),
    userId: Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' }),
    songId: Type.String({ minLength: 1, maxLength: 64, description: 'must exist in the catalog; well-formed Unicode' }),
    type: Type.Union(EVENT_TYPES.map((t) => Type.Literal(t))),
    msPlayed: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_MS_PLAYED })),
    device: Type.Optional(Type.Union(DEVICES.map((d) => Type.Literal(d)))),
    country: Type.Optional(Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO-3166-1 alpha-2' })),
  },
  { $id: 'ListenEvent', additionalProperties: true },
)

export type RawEvent = Static<typeof EventSchema>

/** An event after validation: ts as UTC epoch ms. */
export interface ListenEvent {
  eventId: string
  ts: number
  userId: string
  songId: string
  type: EventType
  msPlayed?: number
  device?: Device
  country?: string
}

/** Reason codes, shared by the collector's 400s and the DLQ (too_deep: the collector's body screen only). */
export type RejectReason =
  'bad_json' | 'missing_field' | 'invalid_field' | 'unknown_song' | 'future_ts' | 'too_large' | 'too_deep'

/**
 * The free-text ids that must be well-formed Unicode (userId, country, type and device are ASCII by their rules). A
 * lone surrogate (`"\ud800"`) survives JSON.parse but UTF-8 cannot carry it: encoding turns it into U+FFFD, so two
 * ids that differ only in lone surrogates become one wherever an id is stored as UTF-8 (the Parquet archive).
 */
const WELL_FORMED_FIELDS = ['eventId', 'songId'] as const

export interface EventIssue {
  reason: RejectReason
  field: string
  rule: string
}

export type ParseResult = { ok: true; event: ListenEvent } | { ok: false; issue: EventIssue }

FormatRegistry.Set('date-time', isIsoWithZone)
const compiled = TypeCompiler.Compile(EventSchema)

function ruleOf(schema: Record<string, unknown>): string {
  if (Array.isArray(schema.anyOf)) {
    const consts = (schema.anyOf as Array<Record<string, unknown>>).map((s) => s.const).filter((c) => c !== undefined)
    if (consts.length > 0) return `one of ${consts.join(', ')}`
    return 'an ISO-8601 string with zone or epoch milliseconds'
  }
  const parts: string[] = []
  if (schema.type) parts.push(schema.type === 'integer' ? 'an integer' : `a ${String(schema.type)}`)
  if (typeof schema.minimum === 'number') parts.push(`>= ${schema.minimum}`)
  if (typeof schema.maximum === 'number') parts.push(`<= ${schema.maximum}`)
  if (typeof schema.minLength === 'number' && typeof schema.maxLength === 'number')
    parts.push(`${schema.minLength}-${schema.maxLength} chars`)
  if (typeof schema.pattern === 'string') parts.push(`matching ${schema.pattern}`)
  return parts.join(', ')
}

export interface ParseOptions {
  /** Catalog check; an unknown song is refused with reason unknown_song. */
  songExists?: (songId: string) => boolean
  now?: number
}

/** Validates an already-decoded JSON value against the contract. */
export function parseEvent(value: unknown, opts: ParseOptions = {}): ParseResult {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, issue: { reason: 'invalid_field', field: '(event)', rule: 'must be a JSON object' } }
  }
  const v = value as Record<string, unknown>
  for (const field of EventSchema.required ?? []) {
    if (v[field] === undefined || v[field] === null)
      return { ok: false, issue: { reason: 'missing_field', field, rule: 'required' } }
  }
  if (!compiled.Check(v)) {
    const err = compiled.Errors(v).First()
    const field = err ? (err.path.replace(/^\//, '').split('/')[0] ?? '(event)') : '(event)'
    const schema = (EventSchema.properties as Record<string, Record<string, unknown>>)[field] ?? {}
    return { ok: false, issue: { reason: 'invalid_field', field, rule: `must be ${ruleOf(schema)}` } }
  }
  for (const field of WELL_FORMED_FIELDS) {
    if (!(v[field] as string).isWellFormed()) {
      return {
        ok: false,
        issue: {
          reason: 'invalid_field',
          field,
          rule: 'must be well-formed Unicode (no lone surrogate such as \\ud800)',
        },
      }
    }
  }
  let ts: number
  if (typeof v.ts === 'number') {
    ts = v.ts
  } else {
    ts = Date.parse(v.ts as string)
  }
  // Epoch-ms numbers are >= 0 by the schema; an ISO string can still name a year before 1970.
  if (ts < 0)
    return {
      ok: false,
      issue: { reason: 'invalid_field', field: 'ts', rule: 'must not be before 1970-01-01T00:00:00Z' },
    }
  const now = opts.now ?? Date.now()
  if (ts > now + MAX_FUTURE_MS)
    return {
      ok: false,
      issue: { reason: 'future_ts', field: 'ts', rule: 'must not be more than 1 hour in the future' },
    }
  const songId = v.songId as string
  if (opts.songExists && !opts.songExists(songId))
    return { ok: false, issue: { reason: 'unknown_song', field: 'songId', rule: 'must exist in the catalog' } }
  const event: ListenEvent = {
    eventId: v.eventId as string,
    ts,
    userId: v.userId as string,
    songId,
    type: v.type as EventType,
  }
  if (v.msPlayed !== undefined) event.msPlayed = v.msPlayed as number
  if (v.device !== undefined) event.device = v.device as Device
  if (v.country !== undefined) event.country = v.country as string
  return { ok: true, event }
}

// Must mirror EventSchema's rules; test/shared/fast/event-scan.test.ts checks it against the full path.
const SCAN_SPEC: ScanSpec = { types: EVENT_TYPES, devices: DEVICES, maxMsPlayed: MAX_MS_PLAYED, maxIdLength: 64 }
const fastFields = fieldScanner(SCAN_SPEC)
const eventOf = eventBuilder(SCAN_SPEC)

/** A byte scanner of the contract's fields, for a consumer that validates without making events (it holds its last scan). */
export function contractFields(): ScannedFields {
  return fieldScanner(SCAN_SPEC)
}

/**
 * The fast path's verdict on the message `buf[start, end)` that arrived at `now`: true when it is valid by every
 * rule of the contract but the catalog check (its fields are then in `fields`); false when the scan is not sure, and
 * `parseEventBytes` must decide (and name the issue).
 */
export function scanAccepts(fields: ScannedFields, buf: Uint8Array, start: number, end: number, now: number): boolean {
  return (
    end - start <= MAX_EVENT_BYTES && fields.scan(buf, start, end) && fields.numbers[FIELD.ts]! <= now + MAX_FUTURE_MS
  )
}

/** Decodes and validates the bytes of one Kafka message or NDJSON line. */
export function parseEventBytes(bytes: Buffer | string, opts: ParseOptions = {}): ParseResult {
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length
  if (size > MAX_EVENT_BYTES)
    return {
      ok: false,
      issue: { reason: 'too_large', field: '(event)', rule: `must be at most ${MAX_EVENT_BYTES} bytes` },
    }
  // The common valid message, decided on the bytes; anything the scan is not sure of takes the full path below.
  if (typeof bytes !== 'string' && scanAccepts(fastFields, bytes, 0, size, opts.now ?? Date.now())) {
    const event = eventOf(fastFields, bytes)
    if (!opts.songExists || opts.songExists(event.songId)) return { ok: true, event }
  }
  let value: unknown
  try {
    value = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'))
  } catch {
    return { ok: false, issue: { reason: 'bad_json', field: '(event)', rule: 'must be valid JSON' } }
  }
  return parseEvent(value, opts)
}

/** The normalised event as stored on Kafka: ts as epoch ms, so consumers never parse dates. */
export function encodeEvent(e: ListenEvent): string {
  return JSON.stringify(e)
}
