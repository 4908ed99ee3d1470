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
    const lines = ndjsonLines(Buffer.isBuffer(body) ? body : Buffer.from(String(body ?? '')))
    checkCount(lines.length)
    lines.forEach((l, i) => {
      if (l.length > MAX_EVENT_BYTES) throw tooLarge(`event at index ${i} is ${l.length} bytes`)
    })
    // Bytes, not strings: the common valid line is then decided by parseEventBytes's byte scan, without JSON.parse.
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

const NL = 10
const CR = 13

function isBlank(b: Buffer): boolean {
  for (const c of b) if (c !== 32 && c !== 9 && c !== CR && c !== NL) return false
  return true
}

/** The non-blank lines of an NDJSON body, as views of it (a trailing '\r' dropped). */
function ndjsonLines(body: Buffer): Buffer[] {
  const lines: Buffer[] = []
  for (let from = 0; from < body.length;) {
    let to = body.indexOf(NL, from)
    if (to < 0) to = body.length
    const line = body.subarray(from, to > from && body[to - 1] === CR ? to - 1 : to)
    if (!isBlank(line)) lines.push(line)
    from = to + 1
  }
  return lines
}
