import { describe, expect, it } from 'vitest'
import { contractFields, parseEventBytes, scanAccepts } from '../../../shared/event.ts'
import { rng } from '../../support/random.ts'

// The byte scan (shared/fast/event-scan.ts) is a fast path of parseEventBytes for Buffers; a string takes the full path
// (JSON.parse + the compiled schema). Both must give the same answer for every input, valid or not.
const NOW = Date.parse('2024-06-01T12:00:00Z')
const songs = new Set(['so-1', 'so-2'])
const opts = { now: NOW, songExists: (id: string) => songs.has(id) }
const base = `{"eventId":"6f1c2b1e-3a4d-4e5f-8a9b-0c1d2e3f4a5b","ts":${NOW - 1000},"userId":"u-1","songId":"so-1","type":"play","msPlayed":1200,"device":"tv","country":"FR"}`

const replacements: Array<[string, string[]]> = [
  [
    '"ts":' + (NOW - 1000),
    [
      '"ts":0',
      '"ts":00',
      '"ts":-1',
      '"ts":1.0',
      '"ts":1e3',
      '"ts":1E3',
      `"ts":${NOW + 3_600_000}`,
      `"ts":${NOW + 3_600_001}`,
      '"ts":"2024-06-01T10:00:00Z"',
      '"ts":"2024-02-30T00:00:00Z"',
      '"ts":null',
      '"ts":true',
      '"ts":9999999999999999',
      '"ts":123456789012345',
      '"ts": 5 ',
      '"ts":-0',
    ],
  ],
  [
    '"msPlayed":1200',
    [
      '"msPlayed":0',
      '"msPlayed":86400000',
      '"msPlayed":86400001',
      '"msPlayed":-1',
      '"msPlayed":1.5',
      '"msPlayed":"100"',
      '"msPlayed":null',
      '"msPlayed":01',
      '"msPlayed":2e3',
      '"msPlayed":1200.0',
      '"msPlayed":',
    ],
  ],
  [
    '"userId":"u-1"',
    [
      '"userId":""',
      `"userId":"${'u'.repeat(64)}"`,
      `"userId":"${'u'.repeat(65)}"`,
      '"userId":"u 1"',
      '"userId":"u/1"',
      '"userId":"A_.:-9z"',
      '"userId":"ü"',
      '"userId":"u\\u002d1"',
      '"userId":null',
      '"userId":1',
      '"USERID":"u-1"',
      '"userId" : "u-1"',
    ],
  ],
  [
    '"eventId":"6f1c2b1e-3a4d-4e5f-8a9b-0c1d2e3f4a5b"',
    [
      '"eventId":""',
      `"eventId":"${'e'.repeat(64)}"`,
      `"eventId":"${'e'.repeat(65)}"`,
      '"eventId":"a\\"b"',
      '"eventId":"a\tb"',
      '"eventId":"é"',
      '"eventId":42',
      '"eventId":"x","eventId":"y"',
      '"eventI":"x"',
      '"eventIdx":"x"',
      '"eventId":"\\ud800"',
      '"eventId":"e\\udbff"',
      '"eventId":"\\udc00e"',
      '"eventId":"\\ud83c\\udfb5"',
      '"eventId":"\\uD800"',
    ],
  ],
  [
    '"songId":"so-1"',
    [
      '"songId":"so-2"',
      '"songId":"so-404"',
      '"songId":""',
      '"songId":"so\\u002d1"',
      '"songId":"so-1\\ud800"',
      `"songId":"${'s'.repeat(65)}"`,
    ],
  ],
  [
    '"type":"play"',
    [
      '"type":"complete"',
      '"type":"skip"',
      '"type":"like"',
      '"type":"dislike"',
      '"type":"pause"',
      '"type":"PLAY"',
      '"type":"stop"',
      '"type":"pla"',
      '"type":"plays"',
      '"type":1',
    ],
  ],
  [
    '"device":"tv"',
    ['"device":"mobile"', '"device":"other"', '"device":"car"', '"device":"TV"', '"device":null', '"device":""'],
  ],
  [
    '"country":"FR"',
    [
      '"country":"de"',
      '"country":"DEU"',
      '"country":"D"',
      '"country":"Z["',
      '"country":"@A"',
      '"country":"ZZ"',
      '"country":null',
    ],
  ],
  ['{', [' {', '\n{ ', '\uFEFF{', '[{', '{"extra":1,', '{"extra":{"a":1},', '{"__proto__":{"x":1},']],
  ['}', ['} ', '}\n', '}}', '},', '}x', ' } ', '}]', ',}', ',"extra":[1,2]}']],
  [',', [' , ', ',\t', ',,', '']],
]

const cases: string[] = [base]
for (const [from, tos] of replacements) {
  for (const to of tos) {
    cases.push(base.replace(from, to))
    cases.push(base.split(from).join(to))
  }
}
for (const drop of ['"msPlayed":1200,', '"device":"tv",', ',"country":"FR"', '"type":"play",', '"songId":"so-1",'])
  cases.push(base.replace(drop, ''))
cases.push('', ' ', '{}', 'null', '[]', '"play"', base.slice(0, -1), base.slice(0, 40))

describe('the byte scan agrees with the full parse', () => {
  it.each(cases.map((c) => [c]))('%s', (text) => {
    const full = parseEventBytes(text, opts)
    const fast = parseEventBytes(Buffer.from(text), opts)
    expect(fast).toEqual(full)
    // Same key order too: encodeEvent writes what the archiver and the DLQ read back.
    expect(JSON.stringify(fast)).toBe(JSON.stringify(full))
  })

  it('leaves an escaped lone surrogate to the full path, which refuses it (the consumers scan, then fall back)', () => {
    const fields = contractFields()
    for (const id of ['\\ud800', 'e\\udbff', '\\udc00']) {
      const bytes = Buffer.from(base.replace('6f1c2b1e-3a4d-4e5f-8a9b-0c1d2e3f4a5b', id))
      expect(scanAccepts(fields, bytes, 0, bytes.length, NOW)).toBe(false)
      expect(parseEventBytes(bytes, opts)).toMatchObject({
        ok: false,
        issue: { reason: 'invalid_field', field: 'eventId', rule: /well-formed Unicode/ },
      })
    }
  })

  it('accepts the common message on the fast path', () => {
    expect(parseEventBytes(Buffer.from(base), opts)).toMatchObject({
      ok: true,
      event: { ts: NOW - 1000, msPlayed: 1200, device: 'tv', country: 'FR' },
    })
  })

  it('agrees on random ids and keys, each byte kind at every position of a 4-byte word (the word-at-a-time scan)', () => {
    // Bytes the word test must tell apart, put into the message as they are (not JSON-escaped): plain ASCII (DEL
    // included), the quote, the backslash (an escape, valid or not), control characters and the bytes of non-ASCII
    // characters; ids of every length around the word size and the contract's 64.
    const kinds = ['a', 'Z', '0', '-', ',', ' ', '\u007f', '"', '\\', '\\n', '\t', '\u0001', 'é', '€', '😀']
    const plain = ['a', 'b', '7', '-', '_']
    const random = rng(13)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!
    const fieldValues = {
      eventId: '"eventId":"6f1c2b1e-3a4d-4e5f-8a9b-0c1d2e3f4a5b"',
      userId: '"userId":"u-1"',
      songId: '"songId":"so-1"',
    }
    const ids: string[] = []
    for (let c = 0; c < 3000; c++) {
      const length = pick([1, 2, 3, 4, 5, 7, 8, 9, 31, 36, 63, 64, 65])
      const id = Array.from({ length }, () => pick(random() < 0.9 ? plain : kinds)).join('')
      const field = pick(['eventId', 'userId', 'songId'] as const)
      ids.push(base.replace(fieldValues[field], `"${field}":"${id}"`))
    }
    const messages = [...ids]
    // Keys one byte off a known one (in their first or last four bytes), at shifted positions: a leading space moves
    // every word boundary.
    for (const [key, wrong] of [
      ['eventId', 'eventIe'],
      ['eventId', 'evXntId'],
      ['msPlayed', 'msPxayed'],
      ['msPlayed', 'msPlayeD'],
      ['country', 'countrx'],
      ['type', 'typo'],
      ['ts', 'tz'],
      ['device', 'devic'],
      ['userId', 'userIdd'],
    ] as const)
      for (const pad of ['', ' ', '  ', '   ']) messages.push(pad + base.replace(`"${key}"`, `"${wrong}"`), pad + base)
    const fields = contractFields()
    const isPlain = (text: string): boolean => /^[\x20-\x7f]*$/.test(text) && !/\\/.test(text)
    for (const text of messages) {
      const full = parseEventBytes(text, opts)
      const fast = parseEventBytes(Buffer.from(text), opts)
      expect(fast, text).toEqual(full)
      // The scan may leave an id to the full path only for a byte it does not take (escapes, control characters,
      // non-ASCII): on plain ASCII its own verdict is the full path's (songs aside, which it does not look up).
      if (ids.includes(text) && isPlain(text)) {
        const bytes = Buffer.from(text)
        expect(scanAccepts(fields, bytes, 0, bytes.length, NOW), text).toBe(parseEventBytes(text, { now: NOW }).ok)
      }
    }
    // Both verdicts occur: the test is not only about ids the scan hands to the full path.
    const verdicts = new Set(messages.map((t) => parseEventBytes(Buffer.from(t), opts).ok))
    expect(verdicts).toEqual(new Set([true, false]))
  })
})
