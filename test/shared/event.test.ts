import { describe, expect, it } from 'vitest'
import {
  encodeEvent,
  EventSchema,
  MAX_EVENT_BYTES,
  parseEvent,
  parseEventBytes,
  type ListenEvent,
} from '../../shared/event.ts'

const NOW = Date.parse('2024-06-01T12:00:00Z')
const songs = new Set(['so-1', 'so-2'])
const opts = { now: NOW, songExists: (id: string) => songs.has(id) }
const base = {
  eventId: '6f1c2b1e-3a4d-4e5f-8a9b-0c1d2e3f4a5b',
  ts: NOW - 1000,
  userId: 'u-1',
  songId: 'so-1',
  type: 'play',
}

type Row = [name: string, patch: Record<string, unknown>, expected: Partial<ListenEvent>]
type Bad = [name: string, patch: Record<string, unknown>, reason: string, field: string, rule: RegExp]

const accepted: Row[] = [
  ['minimal event', {}, { ts: NOW - 1000 }],
  ['ts as ISO with Z', { ts: '2024-06-01T10:00:00Z' }, { ts: Date.parse('2024-06-01T10:00:00Z') }],
  [
    'ts as ISO with offset, stored as UTC',
    { ts: '2024-06-01T12:00:00+02:00' },
    { ts: Date.parse('2024-06-01T10:00:00Z') },
  ],
  ['ts as ISO with compact offset', { ts: '2024-06-01T05:30:00-0430' }, { ts: Date.parse('2024-06-01T10:00:00Z') }],
  ['ts as ISO with fraction', { ts: '2024-06-01T10:00:00.123Z' }, { ts: Date.parse('2024-06-01T10:00:00.123Z') }],
  ['ts as ISO without seconds', { ts: '2024-06-01T10:00Z' }, { ts: Date.parse('2024-06-01T10:00:00Z') }],
  ['ts on a leap day', { ts: '2024-02-29T00:00:00Z' }, { ts: Date.parse('2024-02-29T00:00:00Z') }],
  ['ts as epoch 0', { ts: 0 }, { ts: 0 }],
  ['ts just under 1 hour ahead', { ts: NOW + 3_599_000 }, { ts: NOW + 3_599_000 }],
  ['userId of 64 allowed chars', { userId: 'A'.repeat(60) + '_.:-' }, { userId: 'A'.repeat(60) + '_.:-' }],
  ...(['play', 'complete', 'skip', 'like', 'dislike', 'pause'] as const).map((type): Row => [
    `type ${type}`,
    { type },
    { type },
  ]),
  ['msPlayed 0', { msPlayed: 0 }, { msPlayed: 0 }],
  ['msPlayed 24 h', { msPlayed: 86_400_000 }, { msPlayed: 86_400_000 }],
  ...(['mobile', 'desktop', 'web', 'tablet', 'tv', 'speaker', 'other'] as const).map((device): Row => [
    `device ${device}`,
    { device },
    { device },
  ]),
  ['country DE', { country: 'DE' }, { country: 'DE' }],
  ['unknown extra fields are ignored', { appVersion: '1.2.3' }, {}],
  ['eventId with a surrogate pair (one code point)', { eventId: 'e-\ud83c\udfb5' }, { eventId: 'e-\u{1F3B5}' }],
]

const refused: Bad[] = [
  ...(['eventId', 'ts', 'userId', 'songId', 'type'] as const).map((f): Bad => [
    `missing ${f}`,
    { [f]: undefined },
    'missing_field',
    f,
    /required/,
  ]),
  ['null userId counts as missing', { userId: null }, 'missing_field', 'userId', /required/],
  ['empty eventId', { eventId: '' }, 'invalid_field', 'eventId', /1-64 chars/],
  ['eventId over 64 chars', { eventId: 'e'.repeat(65) }, 'invalid_field', 'eventId', /1-64 chars/],
  ['eventId a number', { eventId: 42 }, 'invalid_field', 'eventId', /string/],
  // Two ids that differ only in lone surrogates are one id once encoded as UTF-8: such ids are refused.
  ['eventId a lone high surrogate', { eventId: 'e-\ud800' }, 'invalid_field', 'eventId', /well-formed Unicode/],
  ['eventId another lone high surrogate', { eventId: 'e-\udbff' }, 'invalid_field', 'eventId', /well-formed Unicode/],
  ['eventId a lone low surrogate', { eventId: '\udc00e' }, 'invalid_field', 'eventId', /well-formed Unicode/],
  ['eventId a reversed pair', { eventId: '\udfb5\ud83c' }, 'invalid_field', 'eventId', /well-formed Unicode/],
  ['songId a lone surrogate', { songId: 'so-1\ud800' }, 'invalid_field', 'songId', /well-formed Unicode/],
  ['ts ISO without zone', { ts: '2024-06-01T10:00:00' }, 'invalid_field', 'ts', /ISO-8601 .*zone.*epoch/],
  ['ts date only', { ts: '2024-06-01' }, 'invalid_field', 'ts', /ISO-8601/],
  ['ts impossible date', { ts: '2024-02-30T00:00:00Z' }, 'invalid_field', 'ts', /ISO-8601/],
  ['ts hour 24', { ts: '2024-06-01T24:00:00Z' }, 'invalid_field', 'ts', /ISO-8601/],
  ['ts epoch as a string', { ts: '1717236000000' }, 'invalid_field', 'ts', /ISO-8601/],
  ['ts fractional ms', { ts: 1.5 }, 'invalid_field', 'ts', /epoch milliseconds/],
  ['ts negative', { ts: -1 }, 'invalid_field', 'ts', /epoch milliseconds/],
  ['ts ISO before 1970', { ts: '1969-12-31T23:59:59Z' }, 'invalid_field', 'ts', /before 1970/],
  ['ts over 1 hour ahead', { ts: NOW + 3_600_001 }, 'future_ts', 'ts', /1 hour in the future/],
  ['ts ISO far in the future', { ts: '2999-01-01T00:00:00Z' }, 'future_ts', 'ts', /1 hour in the future/],
  ['userId empty', { userId: '' }, 'invalid_field', 'userId', /\[A-Za-z0-9_\.:-\]\{1,64\}/],
  ['userId over 64 chars', { userId: 'u'.repeat(65) }, 'invalid_field', 'userId', /\{1,64\}/],
  ['userId with a space', { userId: 'u 1' }, 'invalid_field', 'userId', /matching/],
  ['userId with a slash', { userId: 'u/1' }, 'invalid_field', 'userId', /matching/],
  ['songId empty', { songId: '' }, 'invalid_field', 'songId', /1-64 chars/],
  ['songId not in the catalog', { songId: 'so-404' }, 'unknown_song', 'songId', /exist in the catalog/],
  ['type unknown', { type: 'stop' }, 'invalid_field', 'type', /one of play, complete, skip, like, dislike, pause/],
  ['type in capitals', { type: 'PLAY' }, 'invalid_field', 'type', /one of play/],
  ['msPlayed negative', { msPlayed: -1 }, 'invalid_field', 'msPlayed', />= 0/],
  ['msPlayed over 24 h', { msPlayed: 86_400_001 }, 'invalid_field', 'msPlayed', /<= 86400000/],
  ['msPlayed fractional', { msPlayed: 1.5 }, 'invalid_field', 'msPlayed', /integer/],
  ['msPlayed a string', { msPlayed: '100' }, 'invalid_field', 'msPlayed', /integer/],
  ['msPlayed null', { msPlayed: null }, 'invalid_field', 'msPlayed', /integer/],
  [
    'device unknown',
    { device: 'car' },
    'invalid_field',
    'device',
    /one of mobile, desktop, web, tablet, tv, speaker, other/,
  ],
  ['country lower case', { country: 'de' }, 'invalid_field', 'country', /\[A-Z\]\{2\}/],
  ['country alpha-3', { country: 'DEU' }, 'invalid_field', 'country', /\[A-Z\]\{2\}/],
]

function withPatch(patch: Record<string, unknown>): Record<string, unknown> {
  const v: Record<string, unknown> = { ...base, ...patch }
  for (const [k, val] of Object.entries(patch)) if (val === undefined) delete v[k]
  return v
}

describe('the event contract', () => {
  it.each(accepted)('accepts %s', (_name, patch, expected) => {
    const r = parseEvent(withPatch(patch), opts)
    expect(r).toMatchObject({ ok: true, event: expected })
    if (r.ok) expect(typeof r.event.ts).toBe('number')
  })

  it.each(refused)('refuses %s', (_name, patch, reason, field, rule) => {
    const r = parseEvent(withPatch(patch), opts)
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.issue).toMatchObject({ reason, field })
    expect(r.issue.rule).toMatch(rule)
  })

  it.each([
    ['an array', [base]],
    ['a string', 'play'],
    ['null', null],
  ])('refuses %s where an event object is expected', (_name, value) => {
    expect(parseEvent(value, opts)).toEqual({
      ok: false,
      issue: { reason: 'invalid_field', field: '(event)', rule: 'must be a JSON object' },
    })
  })

  it('skips the catalog check when no catalog is given', () => {
    expect(parseEvent({ ...base, songId: 'anything' }, { now: NOW }).ok).toBe(true)
  })

  it('refuses an eventId escaped as a lone surrogate in the bytes, naming the field and rule', () => {
    for (const id of ['\\ud800', '\\udbff', 'a\\udc00b']) {
      const bytes = `{"eventId":"${id}","ts":${NOW - 1000},"userId":"u-1","songId":"so-1","type":"play"}`
      expect(parseEventBytes(Buffer.from(bytes), opts)).toEqual({
        ok: false,
        issue: {
          reason: 'invalid_field',
          field: 'eventId',
          rule: 'must be well-formed Unicode (no lone surrogate such as \\ud800)',
        },
      })
    }
  })

  it('refuses bad JSON and oversized bytes', () => {
    expect(parseEventBytes('{"eventId":', opts)).toMatchObject({
      ok: false,
      issue: { reason: 'bad_json', field: '(event)', rule: /valid JSON/ },
    })
    const big = JSON.stringify({ ...base, pad: 'x'.repeat(MAX_EVENT_BYTES) })
    expect(parseEventBytes(Buffer.from(big), opts)).toMatchObject({
      ok: false,
      issue: { reason: 'too_large', rule: `must be at most ${MAX_EVENT_BYTES} bytes` },
    })
  })

  it('round-trips through encodeEvent with ts as epoch ms, extra fields dropped', () => {
    const r = parseEventBytes(
      JSON.stringify({ ...base, ts: '2024-06-01T10:00:00+01:00', msPlayed: 5, device: 'tv', country: 'FR', extra: 1 }),
      opts,
    )
    expect(r.ok).toBe(true)
    if (!r.ok) return
    const line = encodeEvent(r.event)
    expect(JSON.parse(line)).toEqual({
      ...base,
      ts: Date.parse('2024-06-01T09:00:00Z'),
      msPlayed: 5,
      device: 'tv',
      country: 'FR',
    })
    expect(parseEventBytes(line, opts)).toEqual(r)
  })

  it('is one schema with an $id for the API docs', () => {
    expect(EventSchema.$id).toBe('ListenEvent')
    expect(EventSchema.required).toEqual(['eventId', 'ts', 'userId', 'songId', 'type'])
  })
})
