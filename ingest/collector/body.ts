/**
 * The body of `POST /v1/events`: one event, a JSON array of events, or NDJSON, turned into validated items.
 * Limits are checked before any validation so a refused request costs little.
 */
import { MAX_EVENT_BYTES, parseEvent, parseEventBytes, type ParseOptions, type ParseResult } from '../../shared/event.ts'
import { Errors } from '../../shared/errors.ts'

export const MAX_ITEMS = 1000
export const MAX_BODY_BYTES = 4 * 1024 * 1024
const KIB = MAX_EVENT_BYTES / 1024

export function tooLarge(what: string): Error {
  return new Errors.PAYLOAD_TOO_LARGE(`${what} (limits: ${MAX_ITEMS} events, ${KIB} KiB per event, ${MAX_BODY_BYTES / 1024 / 1024} MiB per request)`)
}

/** Validates every item; throws PAYLOAD_TOO_LARGE or BAD_REQUEST for the request as a whole. */
export function parseBody(body: unknown, ndjson: boolean, bodyBytes: number, opts: ParseOptions): ParseResult[] {
  if (ndjson) {
    const lines = String(body ?? '').split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)).filter((l) => l.trim() !== '')
    checkCount(lines.length)
    lines.forEach((l, i) => {
      const bytes = Buffer.byteLength(l)
      if (bytes > MAX_EVENT_BYTES) throw tooLarge(`event at index ${i} is ${bytes} bytes`)
    })
    return lines.map((l) => parseEventBytes(l, opts))
  }
  const items = Array.isArray(body) ? body : [body]
  checkCount(items.length)
  // Only a body larger than one event's limit can hold an oversized event.
  if (bodyBytes > MAX_EVENT_BYTES) {
    items.forEach((item, i) => {
      const bytes = Buffer.byteLength(JSON.stringify(item) ?? '')
      if (bytes > MAX_EVENT_BYTES) throw tooLarge(`event at index ${i} is ${bytes} bytes`)
    })
  }
  return items.map((item) => parseEvent(item, opts))
}

function checkCount(n: number): void {
  if (n === 0) throw new Errors.BAD_REQUEST('the body holds no event')
  if (n > MAX_ITEMS) throw tooLarge(`${n} events in one request`)
}
