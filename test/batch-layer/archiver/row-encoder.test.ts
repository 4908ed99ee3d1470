import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { ParquetWriter } from '../../../batch-layer/archiver/parquet-writer.ts'
import { CsvRows, RowEncoder } from '../../../batch-layer/archiver/row-encoder.ts'
import { RowFile } from '../../../batch-layer/archiver/row-file.ts'
import { loadConfig } from '../../../shared/config.ts'
import { openDuck, quoteLiteral } from '../../../shared/duckdb.ts'
import { parseEventBytes } from '../../../shared/event.ts'
import { packBatch, type KafkaBatchBuffers } from '../../../shared/fast/batch-packing.ts'

const AT = Date.parse('2024-06-01T12:00:00Z')
const encoder = new RowEncoder([
  ['s1', 'a1'],
  ['s,2', 'a "2"'],
])

function message(offset: number, value: string | null): { offset: string; timestamp: string; value: Buffer | null } {
  return { offset: String(offset), timestamp: String(AT + offset), value: value === null ? null : Buffer.from(value) }
}

function event(fields: Record<string, unknown>): string {
  return JSON.stringify({ eventId: 'e1', ts: AT - 5000, userId: 'u-1', songId: 's1', type: 'play', ...fields })
}

/** The lines of an encoded batch, message by message ('' for an invalid one). */
function linesOf(b: KafkaBatchBuffers): string[] {
  const { lines, lineEnds } = encoder.encode(b)
  return [...lineEnds].map((end, k) => Buffer.from(lines.subarray(k === 0 ? 0 : lineEnds[k - 1], end)).toString('utf8'))
}

describe('RowEncoder', () => {
  it('writes one CSV line per valid message in the column order, optional fields empty', () => {
    const b = packBatch(2, [
      message(7, event({ msPlayed: 1200, device: 'tv', country: 'FR' })),
      message(8, event({ eventId: 'e2', ts: '2024-06-01T11:00:00+01:00' })),
    ])
    expect(linesOf(b)).toEqual([
      `e1,${AT - 5000},${AT + 7},u-1,s1,a1,play,1200,tv,FR,2,7\n`,
      `e2,${AT - 2 * 3_600_000},${AT + 8},u-1,s1,a1,play,,,,2,8\n`,
    ])
  })

  it('quotes free-form strings that need it (and the empty string) and keeps UTF-8', () => {
    const b = packBatch(0, [
      message(0, event({ eventId: 'a,"b"', songId: 's,2' })),
      message(1, event({ eventId: 'é€\u{1F600}' })),
    ])
    expect(linesOf(b)).toEqual([
      `"a,""b""",${AT - 5000},${AT},u-1,"s,2","a ""2""",play,,,,0,0\n`,
      `"é€\u{1F600}",${AT - 5000},${AT + 1},u-1,s1,a1,play,,,,0,1\n`,
    ])
  })

  it('rejects invalid messages with the issue and their bytes, judged at their arrival time', () => {
    const future = event({ ts: AT + 4 + 3_600_001 })
    const b = packBatch(0, [
      message(0, 'not json'),
      message(1, null),
      message(2, event({ songId: 'nope' })),
      message(3, event({})),
      message(4, future),
    ])
    const r = encoder.encode(b)
    expect([...r.lineEnds].map((end, k) => end - (k === 0 ? 0 : r.lineEnds[k - 1]!) > 0)).toEqual([
      false,
      false,
      false,
      true,
      false,
    ])
    expect(
      r.rejections.map((x) => [x.index, x.issue.reason, x.value === null ? null : Buffer.from(x.value).toString()]),
    ).toEqual([
      [0, 'bad_json', 'not json'],
      [1, 'bad_json', null],
      [2, 'unknown_song', event({ songId: 'nope' })],
      [4, 'future_ts', future],
    ])
  })

  it('rejects an eventId escaped as a lone surrogate, as parseEventBytes does, and keeps a surrogate pair', () => {
    const ids = ['\ud800', 'e\udbff', '\ud83c\udfb5']
    const texts = ids.map((eventId) => event({ eventId }))
    const r = encoder.encode(
      packBatch(
        0,
        texts.map((t, k) => message(k, t)),
      ),
    )
    const refused = texts.map((t) => parseEventBytes(Buffer.from(t), { now: AT + 1, songExists: () => true }))
    expect(refused.map((p) => p.ok)).toEqual([false, false, true])
    expect(r.rejections.map((x) => [x.index, x.issue])).toEqual([
      [0, refused[0]!.ok ? null : refused[0]!.issue],
      [1, refused[1]!.ok ? null : refused[1]!.issue],
    ])
    expect(r.rejections[0]!.issue).toMatchObject({ reason: 'invalid_field', field: 'eventId' })
  })

  it('writes every integer below 2^53 in decimal', () => {
    const e = { eventId: 'e', ts: AT, userId: 'u', songId: 's1', type: 'play' as const }
    for (const offset of [
      0,
      9,
      10,
      999_999_999,
      1e9,
      1e9 + 1,
      2 ** 31,
      2 ** 32 + 5,
      8_999_999_999_999_999 - 1,
      9_007_198_999_999_999,
      2 ** 53 - 1,
    ]) {
      const rows = new CsvRows()
      rows.row(e, 'a1', AT, 0, offset)
      expect(rows.bytes.toString('latin1', 0, rows.length)).toBe(`e,${AT},${AT},u,s1,a1,play,,,,0,${offset}\n`)
    }
  })

  it('writes from the byte scan exactly the row the full path (parseEventBytes) gives, for valid and invalid messages', () => {
    const variants: Array<Record<string, unknown>> = [
      {},
      { msPlayed: 0 },
      { msPlayed: 86_400_000 },
      { msPlayed: 86_400_001 },
      { device: 'speaker' },
      { device: 'car' },
      { country: 'ZZ' },
      { country: 'de' },
      { type: 'dislike', device: 'other', country: 'AD', msPlayed: 5 },
      { eventId: 'a,b' },
      { eventId: ',' },
      { eventId: '' },
      { eventId: 'x'.repeat(64) },
      { eventId: 'x'.repeat(65) },
      { eventId: 'é' },
      { songId: 's,2' },
      { songId: 'nope' },
      { userId: 'u,1' },
      { userId: 'A_.:-9z' },
      { ts: '2024-06-01T11:00:00.5+01:00' },
      { ts: AT + 3_600_000 },
      { ts: AT + 3_600_001 },
      { ts: 0 },
      { ts: 1.5 },
      { extra: [1, 2] },
      { type: 'stop' },
    ]
    const texts = [...variants.map((v) => event(v)), event({ eventId: 'e\\u0041' }), ` ${event({})} `, '{}', '', '[]']
    const b = packBatch(
      4,
      texts.map((t) => ({ offset: '100', timestamp: String(AT), value: Buffer.from(t) })),
    )
    const songs = new Map([
      ['s1', 'a1'],
      ['s,2', 'a "2"'],
    ])
    const expected = texts.map((t) => {
      const parsed = parseEventBytes(Buffer.from(t), { now: AT, songExists: (id) => songs.has(id) })
      if (!parsed.ok) return ''
      const one = new CsvRows()
      one.row(parsed.event, songs.get(parsed.event.songId)!, AT, 4, 100)
      return one.bytes.toString('utf8', 0, one.length)
    })
    expect(expected.filter((l) => l !== '').length).toBeGreaterThan(15)
    expect(linesOf(b)).toEqual(expected)
  })

  it('gives DuckDB back exactly the fields, types and NULLs of the events', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'row-encoder-'))
    onTestFinished(() => fs.rmSync(home, { recursive: true, force: true }))
    const config = loadConfig({ ...process.env, PLAYCOUNT_HOME: home, LAKE_URI: path.join(home, 'lake') })
    const b = packBatch(1, [
      message(0, event({ eventId: 'a,"b"\né', msPlayed: 0, device: 'speaker', country: 'DE', songId: 's,2' })),
      message(1, 'bad'),
      message(2, event({ eventId: 'e3' })),
    ])
    const r = encoder.encode(b)
    const file = new RowFile(path.join(home, 'rows.csv'))
    const lines = Buffer.from(r.lines.buffer)
    let start = 0
    r.lineEnds.forEach((end, k) => {
      if (end > start) file.append(lines, start, end, k)
      start = end
    })
    await file.finish()
    const writer = await ParquetWriter.create(config)
    const out = path.join(home, 'rows.parquet')
    await writer.write(file.path, out).finally(() => writer.close())
    const duck = await openDuck(config)
    try {
      const rows = (
        await duck.conn
          .runAndReadAll(`SELECT event_id, epoch_ms(ts), epoch_ms(arrived_at), user_id, song_id, artist_id, type,
        ms_played, device, country, kafka_partition, kafka_offset FROM read_parquet(${quoteLiteral(out)})`)
      ).getRows()
      expect(rows).toEqual([
        ['a,"b"\né', BigInt(AT - 5000), BigInt(AT), 'u-1', 's,2', 'a "2"', 'play', 0, 'speaker', 'DE', 1, 0n],
        ['e3', BigInt(AT - 5000), BigInt(AT + 2), 'u-1', 's1', 'a1', 'play', null, null, null, 1, 2n],
      ])
    } finally {
      duck.close()
    }
  })
})
