/**
 * The screen a request body's JSON passes before anything recurses into it or validates it: it finds the items (the
 * elements of a top-level array, or the whole text as one item) as byte ranges, and refuses an item that nests deeper
 * than MAX_DEPTH or holds a reserved key (`__proto__`, `constructor`) at any level. It walks the bytes once with a
 * depth counter, never recursion, so a body nested a million levels deep costs one pass and no stack (JSON.stringify,
 * a JSON.parse reviver or a recursive check would overflow it and answer 500 for the whole request).
 *
 * It does not decide whether the text is JSON: JSON.parse (iterative in V8) does. The screen only has to be right on
 * valid JSON, and must end on any bytes (an invalid NDJSON line is then refused by its parse as bad_json).
 */
import type { EventIssue } from '../../shared/event.ts'

/** An event is a flat object (level 1); extra fields may nest, up to this many levels in all. */
export const MAX_DEPTH = 64
/** Keys that alter an object's prototype when a body is merged or assigned into one: refused wherever they are. */
export const RESERVED_KEYS = ['__proto__', 'constructor'] as const

export interface ScreenedItem {
  start: number
  end: number
  issue: EventIssue | undefined
}

const QUOTE = 34
const BACKSLASH = 92
const COLON = 58
const COMMA = 44
const OPEN_OBJECT = 123
const CLOSE_OBJECT = 125
const OPEN_ARRAY = 91
const CLOSE_ARRAY = 93
const RESERVED = RESERVED_KEYS.map((k) => Buffer.from(k))

const TOO_DEEP: EventIssue = {
  reason: 'too_deep',
  field: '(event)',
  rule: `must nest at most ${MAX_DEPTH} levels (an event is a flat object)`,
}

function reservedKey(key: string): EventIssue {
  return {
    reason: 'invalid_field',
    field: key,
    rule: `is a reserved key: ${RESERVED_KEYS.join(' and ')} are refused at any level of an event`,
  }
}

function isSpace(b: number | undefined): boolean {
  return b === 32 || b === 10 || b === 13 || b === 9
}

/** The index of the quote that closes the string whose content starts at `i`, or -1 when it is not closed. */
function stringEnd(buf: Buffer, i: number, end: number): number {
  for (; i < end; i++) {
    const b = buf[i]!
    if (b === QUOTE) return i
    if (b === BACKSLASH) i++
  }
  return -1
}

/** The reserved key that the string `buf[s, e)` spells, decoding escapes (`"__prot\u006f__"` is `__proto__`). */
function reservedAt(buf: Buffer, s: number, e: number): string | undefined {
  let escaped = false
  for (let i = s; i < e && !escaped; i++) escaped = buf[i] === BACKSLASH
  if (!escaped) {
    const k = RESERVED.findIndex((r) => r.length === e - s && buf.compare(r, 0, r.length, s, e) === 0)
    return k >= 0 ? RESERVED_KEYS[k] : undefined
  }
  let key: unknown
  try {
    key = JSON.parse(buf.toString('utf8', s - 1, e + 1))
  } catch {
    return undefined // not a JSON string: the item's own parse refuses it as bad_json
  }
  return RESERVED_KEYS.find((r) => r === key)
}

/**
 * Screens `buf[from, to)`. With `split` (the text is a JSON array) its elements are the items; else the text is one.
 * An item's range is trimmed of whitespace; an item keeps the first issue found in it.
 */
export function screenJson(buf: Buffer, from: number, to: number, split: boolean): ScreenedItem[] {
  let i = from
  let end = to
  while (i < end && isSpace(buf[i])) i++
  while (end > i && isSpace(buf[end - 1])) end--
  // Items are delimited at depth 1 inside a top-level array; a single item never returns to depth -1.
  const top = split && buf[i] === OPEN_ARRAY ? 1 : -1
  const base = Math.max(top, 0)
  const items: ScreenedItem[] = []
  let item: ScreenedItem | undefined
  if (top < 0) items.push((item = { start: i, end, issue: undefined }))
  let depth = 0
  for (; i < end; i++) {
    const b = buf[i]!
    if (depth === top) {
      if (b === COMMA || b === CLOSE_ARRAY) {
        if (item) {
          let e = i
          while (isSpace(buf[e - 1])) e--
          item.end = e
        }
        item = undefined
        if (b === COMMA) continue
      } else if (!item && !isSpace(b)) {
        items.push((item = { start: i, end: i, issue: undefined }))
      }
    }
    if (b === QUOTE) {
      const close = stringEnd(buf, i + 1, end)
      if (close < 0) break
      // Only a string of 9 bytes or more can spell a reserved key; a string followed by ':' is a key.
      if (close - i > 9 && item && !item.issue) {
        let next = close + 1
        while (isSpace(buf[next])) next++
        const key = buf[next] === COLON ? reservedAt(buf, i + 1, close) : undefined
        if (key !== undefined) item.issue = reservedKey(key)
      }
      i = close
    } else if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
      depth++
      if (depth - base > MAX_DEPTH && item && !item.issue) item.issue = TOO_DEEP
    } else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
      depth--
    }
  }
  return items
}
