import { describe, expect, it } from 'vitest'
import { MAX_DEPTH, screenJson } from '../../../ingest/collector/body-screen.ts'
import { jsonItems, ndjsonItems, validateItems } from '../../../ingest/collector/body.ts'
import { MAX_EVENT_BYTES, type ParseResult } from '../../../shared/event.ts'
import { rng } from '../../support/random.ts'

const now = Date.UTC(2024, 5, 1)
const event = (i: number): string =>
  JSON.stringify({ eventId: `e-${i}`, ts: now - i, userId: `u-${i}`, songId: 's-1', type: 'play' })
const nested = (levels: number): string => '{"x":'.repeat(levels - 1) + '{}' + '}'.repeat(levels - 1)
const outcome = (results: ParseResult[]): string[] =>
  results.map((r) => (r.ok ? r.event.eventId : `${r.issue.reason} ${r.issue.field}`))

describe('NDJSON bodies', () => {
  it('takes CRLF and LF lines, skips blank ones, and numbers items among the non-blank lines', () => {
    const body = Buffer.from(`${event(1)}\r\n  \n\n${event(2)}\n{"eventId":\r\n\t\r\n${event(3)}`)
    expect(outcome(validateItems(ndjsonItems(body), { now }))).toEqual(['e-1', 'e-2', 'bad_json (event)', 'e-3'])
  })

  it('refuses an oversized line as a whole (413) and a body without events (400)', () => {
    const big = Buffer.from(`${event(1)}\n${'x'.repeat(MAX_EVENT_BYTES + 1)}\n`)
    expect(() => ndjsonItems(big)).toThrow(/index 1/)
    expect(() => ndjsonItems(Buffer.from('\n \r\n'))).toThrow(/no event/)
  })

  it('refuses only the line nested too deep or holding a reserved key', () => {
    const deep = `{"eventId":"d","extra":${'['.repeat(8500)}${']'.repeat(8500)}}`
    const body = Buffer.from(
      [event(1), deep, '{"__proto__":{"x":1},"eventId":"p"}', event(2), '{"a":{"constructor":1}}'].join('\n'),
    )
    expect(outcome(validateItems(ndjsonItems(body), { now }))).toEqual([
      'e-1',
      'too_deep (event)',
      'invalid_field __proto__',
      'e-2',
      'invalid_field constructor',
    ])
  })
})

describe('JSON bodies', () => {
  it('refuses only the array item nested too deep (8,500 levels, no stack overflow), naming the limit', () => {
    const body = Buffer.from(`[${event(1)}, ${nested(8500)} ,${event(2)}]`)
    const results = validateItems(jsonItems(body), { now })
    expect(outcome(results)).toEqual(['e-1', 'too_deep (event)', 'e-2'])
    expect(results[1]).toMatchObject({
      ok: false,
      issue: { rule: `must nest at most ${MAX_DEPTH} levels (an event is a flat object)` },
    })
  })

  it('refuses only the array item holding __proto__ or constructor at any level, escaped or not', () => {
    const items = [
      event(1),
      '{"__proto__":{"isAdmin":true}}',
      '{"a":[{"b":{"constructor":{"prototype":1}}}]}',
      '{"__prot\\u006f__":1}',
      event(2),
      '{"constructor ":1,"x":"__proto__","y":["constructor"]}',
    ]
    const results = validateItems(jsonItems(Buffer.from(`[${items.join(',')}]`)), { now })
    expect(outcome(results)).toEqual([
      'e-1',
      'invalid_field __proto__',
      'invalid_field constructor',
      'invalid_field __proto__',
      'e-2',
      'missing_field eventId',
    ])
    expect(results[1]).toMatchObject({
      ok: false,
      issue: { rule: 'is a reserved key: __proto__ and constructor are refused at any level of an event' },
    })
  })

  it('takes one event, a byte order mark, and refuses text that is not JSON as a whole', () => {
    expect(outcome(validateItems(jsonItems(Buffer.from(`\uFEFF ${event(7)} `)), { now }))).toEqual(['e-7'])
    expect(() => jsonItems(Buffer.from(`[${event(1)},`))).toThrow(/not valid JSON/)
    expect(() => jsonItems(Buffer.from('[]'))).toThrow(/no event/)
  })

  it('measures each item by its bytes in the body (413 naming the index)', () => {
    const big = JSON.stringify({ pad: 'x'.repeat(MAX_EVENT_BYTES) })
    expect(() => jsonItems(Buffer.from(`[${event(1)},${big}]`))).toThrow(/event at index 1 is \d+ bytes/)
  })
})

describe('the body screen', () => {
  it('splits an array into trimmed items, strings with escaped quotes and brackets included', () => {
    const text = '[ {"a":"x\\"]}","b":[1,{}]} , "s,]" ,3,null ]'
    const items = screenJson(Buffer.from(text), 0, text.length, true).map((s) => text.slice(s.start, s.end))
    expect(items).toEqual(['{"a":"x\\"]}","b":[1,{}]}', '"s,]"', '3', 'null'])
  })

  it('counts levels from the event: exactly MAX_DEPTH passes, one more is refused', () => {
    for (const [levels, issue] of [
      [MAX_DEPTH, undefined],
      [MAX_DEPTH + 1, 'too_deep'],
    ] as const) {
      const text = `[${nested(levels)}]`
      expect(screenJson(Buffer.from(text), 0, text.length, true)[0]?.issue?.reason).toBe(issue)
      expect(screenJson(Buffer.from(nested(levels)), 0, nested(levels).length, false)[0]?.issue?.reason).toBe(issue)
    }
  })

  it('finds exactly the items JSON.parse finds, each range parsing to its value (random JSON)', () => {
    const random = rng(20261130)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!
    const chars = [
      'a',
      '"',
      '\\',
      ',',
      ':',
      '[',
      ']',
      '{',
      '}',
      ' ',
      '\n',
      'é',
      '\u{1F3B5}',
      '\ud800',
      '\u0000',
      'constructor',
    ]
    const str = (): string => Array.from({ length: Math.floor(random() * 6) }, () => pick(chars)).join('')
    const value = (depth: number): unknown => {
      const kind = depth > 5 ? Math.floor(random() * 4) : Math.floor(random() * 6)
      if (kind === 0) return str()
      if (kind === 1) return Math.floor(random() * 2000) - 1000 + pick([0, 0.5, 1e21])
      if (kind === 2) return pick([true, false, null])
      if (kind === 3) return str()
      if (kind === 4) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1))
      return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, () => [str(), value(depth + 1)]))
    }
    const space = (): string => pick(['', ' ', '\n', '\t ', '\r\n'])
    for (let round = 0; round < 300; round++) {
      const values = Array.from({ length: 1 + Math.floor(random() * 6) }, () => value(0))
      const text = `${space()}[${values.map((v) => `${space()}${JSON.stringify(v, null, pick([0, 1]))}${space()}`).join(',')}]${space()}`
      const buf = Buffer.from(text)
      const items = screenJson(buf, 0, buf.length, true)
      expect(items.map((s) => JSON.parse(buf.toString('utf8', s.start, s.end)))).toEqual(values)
    }
  })

  it('ends on text that is not JSON (an unterminated string, stray closers)', () => {
    for (const text of ['{"a":"x', '}}]]{', '"\\', '['])
      expect(() => screenJson(Buffer.from(text), 0, text.length, true)).not.toThrow()
  })
})
