/**
 * The body of `POST /v1/events`: one event, a JSON array of events, or NDJSON, turned into items and then into
 * validated results. The limits (count, bytes, depth, reserved keys) are checked by the content-type parsers before
 * any validation, so a refused request costs little; depth and reserved keys refuse only the item that breaks them.
 */
import {
  MAX_EVENT_BYTES,
  parseEvent,
  parseEventBytes,
  type EventIssue,
  type ParseOptions,
  type ParseResult,
} from '../../shared/event.ts'
import { Errors } from '../../shared/errors.ts'
import { screenJson } from './body-screen.ts'

export const MAX_ITEMS = 1000
export const MAX_BODY_BYTES = 4 * 1024 * 1024
const KIB = MAX_EVENT_BYTES / 1024

/** An item of a body: refused by the screen, or a decoded JSON value, or an NDJSON line's bytes, to validate. */
export type BodyItem = { issue: EventIssue } | { value: unknown } | { line: Buffer }

export function tooLarge(what: string): Error {
  return new Errors.PAYLOAD_TOO_LARGE(
    `${what} (limits: ${MAX_ITEMS} events, ${KIB} KiB per event, ${MAX_BODY_BYTES / 1024 / 1024} MiB per request)`,
  )
}

/** The items of an application/json body; throws BAD_REQUEST (not JSON, no event) or PAYLOAD_TOO_LARGE. */
export function jsonItems(body: Buffer): BodyItem[] {
  const from = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0 // a UTF-8 byte order mark
  let value: unknown
  try {
    value = JSON.parse(body.toString('utf8', from))
  } catch (err) {
    throw new Errors.BAD_REQUEST(`the body is not valid JSON (${(err as Error).message})`, { cause: err })
  }
  const values = Array.isArray(value) ? value : [value]
  checkCount(values.length)
  const screened = screenJson(body, from, body.length, Array.isArray(value))
  if (screened.length !== values.length)
    throw new Errors.INTERNAL(`the body screen found ${screened.length} items, JSON.parse ${values.length}`)
  // An item the screen refused is refused whatever its size (8,500 levels of brackets are 17 KB): only that item.
  screened.forEach((s, i) => {
    if (!s.issue && s.end - s.start > MAX_EVENT_BYTES) throw tooLarge(`event at index ${i} is ${s.end - s.start} bytes`)
  })
  return screened.map((s, i) => (s.issue ? { issue: s.issue } : { value: values[i] }))
}

/** The items of an application/x-ndjson body, one per non-blank line; throws as jsonItems does. */
export function ndjsonItems(body: Buffer): BodyItem[] {
  const lines = ndjsonLines(body)
  checkCount(lines.length)
  const issues = lines.map((line) => screenJson(line, 0, line.length, false)[0]?.issue)
  lines.forEach((l, i) => {
    if (!issues[i] && l.length > MAX_EVENT_BYTES) throw tooLarge(`event at index ${i} is ${l.length} bytes`)
  })
  return lines.map((line, i) => {
    const issue = issues[i]
    return issue ? { issue } : { line }
  })
}

/** Validates every item against the event contract. */
export function validateItems(items: readonly BodyItem[], opts: ParseOptions): ParseResult[] {
  return items.map((item): ParseResult => {
    if ('issue' in item) return { ok: false, issue: item.issue }
    // Bytes, not strings: the common valid line is then decided by parseEventBytes's byte scan, without JSON.parse.
    if ('line' in item) return parseEventBytes(item.line, opts)
    return parseEvent(item.value, opts)
  })
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
