import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { CONVERSIONS, ParquetWriter, ROW_GROUP_ROWS } from '../../../batch-layer/archiver/parquet-writer.ts'
import { loadConfig } from '../../../shared/config.ts'
import { openDuck, quoteLiteral } from '../../../shared/duckdb.ts'

// More rows than a row group, so the file has several and the CSV is read in several parts.
const ROWS = ROW_GROUP_ROWS + 40_000

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')
}

describe('ParquetWriter', () => {
  it(
    'keeps the rows in the order of the CSV (kafka_offset) without a sort, and the same rows give the same bytes',
    { timeout: 60_000 },
    async () => {
      const home = fs.mkdtempSync(path.join(os.tmpdir(), 'parquet-writer-'))
      onTestFinished(() => fs.rmSync(home, { recursive: true, force: true }))
      const config = loadConfig({ ...process.env, PLAYCOUNT_HOME: home, LAKE_URI: path.join(home, 'lake') })
      const csv = path.join(home, 'rows.csv')
      const duck = await openDuck(config)
      try {
        // Offsets ascending but event ids and times not: an order the file could only keep by keeping the CSV's.
        await duck.conn
          .run(`COPY (SELECT md5(i::VARCHAR) AS event_id, 1717243200000 - (i * 7919 % 100000) AS ts, 1717243200000 + i AS arrived_at,
          'u-' || (i % 977) AS user_id, 's' || (i % 31) AS song_id, 'a' || (i % 7) AS artist_id, 'play' AS type,
          CASE WHEN i % 4 = 0 THEN NULL ELSE i % 240000 END AS ms_played, 'tv' AS device, 'DE' AS country, 3 AS kafka_partition, 1000 + i AS kafka_offset
        FROM range(${ROWS}) r(i)) TO ${quoteLiteral(csv)} (HEADER false)`)
        const writer = await ParquetWriter.create(config)
        const outs = ['a', 'b', 'c'].map((n) => path.join(home, `${n}.parquet`))
        try {
          await writer.write(csv, outs[0]!)
          // Two at once, on the writer's two connections.
          await Promise.all([writer.write(csv, outs[1]!), writer.write(csv, outs[2]!)])
        } finally {
          await writer.close()
        }
        expect(new Set(outs.map(sha256)).size).toBe(1)
        const [[rows, ordered, groups]] = (
          await duck.conn.runAndReadAll(`SELECT count(*), bool_and(kafka_offset = 1000 + rn - 1),
          (SELECT count(DISTINCT row_group_id) FROM parquet_metadata(${quoteLiteral(outs[0]!)}))
        FROM (SELECT kafka_offset, row_number() OVER () AS rn FROM read_parquet(${quoteLiteral(outs[0]!)}))`)
        ).getRows() as [[bigint, boolean, bigint]]
        expect([rows, ordered, groups]).toEqual([BigInt(ROWS), true, 2n])
      } finally {
        duck.close()
      }
    },
  )

  it('writes a column with thousands of values per row group without a dictionary and keeps the dictionary of a column with few, in Parquet version 2 encodings', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'parquet-writer-'))
    onTestFinished(() => fs.rmSync(home, { recursive: true, force: true }))
    const config = loadConfig({ ...process.env, PLAYCOUNT_HOME: home, LAKE_URI: path.join(home, 'lake') })
    const csv = path.join(home, 'rows.csv')
    const out = path.join(home, 'out.parquet')
    const duck = await openDuck(config)
    onTestFinished(() => duck.close())
    // 4,000 listeners in 40,000 rows: DuckDB's default limit would build their dictionary, the cap (DICTIONARY_LIMIT)
    // writes them plain; 31 songs keep theirs.
    await duck.conn.run(`COPY (SELECT md5(i::VARCHAR) AS event_id, 1717243200000 AS ts, 1717243200000 AS arrived_at,
        'u-' || (i % 4000) AS user_id, 's' || (i % 31) AS song_id, 'a' || (i % 7) AS artist_id, 'play' AS type,
        NULL AS ms_played, 'tv' AS device, 'DE' AS country, 3 AS kafka_partition, i AS kafka_offset
      FROM range(40000) r(i)) TO ${quoteLiteral(csv)} (HEADER false)`)
    const writer = await ParquetWriter.create(config)
    try {
      await writer.write(csv, out)
    } finally {
      await writer.close()
    }
    const encodings = (
      await duck.conn.runAndReadAll(`SELECT path_in_schema, string_agg(DISTINCT encodings, ',' ORDER BY encodings)
        FROM parquet_metadata(${quoteLiteral(out)}) WHERE path_in_schema IN ('event_id', 'user_id', 'song_id', 'kafka_offset')
        GROUP BY ALL ORDER BY 1`)
    ).getRows()
    expect(encodings).toEqual([
      ['event_id', 'DELTA_LENGTH_BYTE_ARRAY'],
      ['kafka_offset', 'DELTA_BINARY_PACKED'],
      ['song_id', 'RLE_DICTIONARY'],
      ['user_id', 'DELTA_LENGTH_BYTE_ARRAY'],
    ])
  })

  it('reports an events file without rows as a lake error naming the file, not wrapped in a second one', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'parquet-writer-'))
    onTestFinished(() => fs.rmSync(home, { recursive: true, force: true }))
    const config = loadConfig({ ...process.env, PLAYCOUNT_HOME: home, LAKE_URI: path.join(home, 'lake') })
    const empty = path.join(home, 'empty.parquet')
    const duck = await openDuck(config)
    try {
      await duck.conn.run(
        `COPY (SELECT 1::BIGINT AS kafka_offset WHERE false) TO ${quoteLiteral(empty)} (FORMAT parquet)`,
      )
    } finally {
      duck.close()
    }
    const writer = await ParquetWriter.create(config)
    onTestFinished(() => writer.close())
    await expect(writer.lastOffset(empty)).rejects.toMatchObject({
      code: 'PLAYCOUNT_LAKE_IO',
      message: `Lake read or write failed: ${empty} holds no rows`,
    })
  })

  it('runs more statements than it has connections, each on an idle one, and close waits for those in flight', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'parquet-writer-'))
    onTestFinished(() => fs.rmSync(home, { recursive: true, force: true }))
    const config = loadConfig({ ...process.env, PLAYCOUNT_HOME: home, LAKE_URI: path.join(home, 'lake') })
    const csv = path.join(home, 'rows.csv')
    fs.writeFileSync(
      csv,
      Array.from(
        { length: 5000 },
        (_, i) => `e${i},1717243200000,1717243200000,u${i % 50},s${i % 9},a1,play,,tv,DE,0,${i}\n`,
      ).join(''),
    )
    const writer = await ParquetWriter.create(config)
    const outs = Array.from({ length: CONVERSIONS * 3 + 1 }, (_, i) => path.join(home, `out-${i}.parquet`))
    // All at once: each write must find an idle connection (parquet-writer.ts rejects one that does not), and close,
    // called with all of them in flight, must not close a connection under one.
    const writes = Promise.all(outs.map((out) => writer.write(csv, out)))
    await writer.close()
    await writes
    const last = await Promise.all(outs.map(async (out) => fs.existsSync(out) && sha256(out)))
    expect(new Set(last).size).toBe(1)
    expect(last[0]).toMatch(/^[0-9a-f]{64}$/)
  })
})
