/**
 * patches/kafkajs+2.2.4.patch (applied by `patch-package` on install) decodes record offsets as Numbers below 2^53,
 * skips the timestamp delta of a LogAppendTime batch, reads each record where it lies instead of through a slice and
 * a decoder of its own, builds no header array for a record without headers, and keeps a fetch's array of messages
 * when the batch filters drop nothing. These tests run kafkajs's own encoder and decoder, plain and gzip-compressed:
 * offsets and timestamps must be what 64-bit arithmetic gives, on both sides of 2^53, keys, values and headers must
 * be intact, and the batch filters must keep exactly the messages at or above the fetched offset that are not control
 * records.
 */
import fs from 'node:fs'
import { createRequire } from 'node:module'
import { CompressionTypes } from 'kafkajs'
import { describe, expect, it } from 'vitest'

const require = createRequire(import.meta.url)

interface DecodedRecord {
  offset: string
  timestamp: string
  key: Buffer | null
  value: Buffer | null
  headers: Record<string, Buffer>
}
type Encoder = { buffer: Buffer }
const Long = require('kafkajs/src/utils/long') as { fromValue(v: string | number): unknown }
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => unknown
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch(args: object): Promise<Encoder>
}
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (args: object) => Encoder
const decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (
  decoder: unknown,
) => Promise<{ records: DecodedRecord[] }>
const Batch = require('kafkajs/src/consumer/batch') as new (
  topic: string,
  fetchedOffset: string,
  partitionData: { partition: number; highWatermark: string; messages: Array<{ offset: string }> },
) => { messages: Array<{ offset: string }> }

/** The low byte of a record batch's attributes: firstOffset 8, length 4, leader epoch 4, magic 1, crc 4, then int16. */
const ATTRIBUTES_LOW_BYTE = 22
const LOG_APPEND_TIME = 0x08

const FIRST_TIMESTAMP = 1_717_243_200_000
const MAX_TIMESTAMP = 1_717_243_999_000
/** Deltas that take one, two, three and more varint bytes. */
const TIMESTAMP_DELTAS = [0, 1, 300, 70_000, 799_000]

async function roundTrip(firstOffset: string, logAppendTime: boolean, compression: number): Promise<DecodedRecord[]> {
  const records = TIMESTAMP_DELTAS.map((timestampDelta, k) =>
    Record({
      offsetDelta: k,
      timestampDelta,
      key: Buffer.from(`key-${k}`),
      value: Buffer.from(`{"n":${k}}`),
      headers: k === 2 ? { trace: Buffer.from('t2') } : {},
    }),
  )
  const encoded = await RecordBatch({
    firstOffset: Long.fromValue(firstOffset),
    firstTimestamp: FIRST_TIMESTAMP,
    maxTimestamp: MAX_TIMESTAMP,
    lastOffsetDelta: records.length - 1,
    records,
    compression,
  })
  const bytes = Buffer.from(encoded.buffer)
  if (logAppendTime) bytes[ATTRIBUTES_LOW_BYTE]! |= LOG_APPEND_TIME
  return (await decodeRecordBatch(new Decoder(bytes))).records
}

describe('kafkajs record decoding (patched)', () => {
  it('is applied to the installed kafkajs', () => {
    for (const file of [
      'src/consumer/batch.js',
      'src/protocol/recordBatch/v0/decoder.js',
      'src/protocol/recordBatch/record/v0/decoder.js',
    ])
      expect(fs.readFileSync(require.resolve(`kafkajs/${file}`), 'utf8')).toContain("playcount's patch")
  })

  for (const firstOffset of ['0', '41', '9007199254740990', '18014398509481984'])
    for (const logAppendTime of [false, true])
      for (const compression of [CompressionTypes.None, CompressionTypes.GZIP])
        it(`gives 64-bit offsets, the right timestamps and the records' bytes from offset ${firstOffset}, ${logAppendTime ? 'LogAppendTime' : 'CreateTime'}, ${CompressionTypes[compression]}`, async () => {
          const records = await roundTrip(firstOffset, logAppendTime, compression)
          expect(records.map((r) => r.offset)).toEqual(
            TIMESTAMP_DELTAS.map((_, k) => String(BigInt(firstOffset) + BigInt(k))),
          )
          expect(records.map((r) => r.timestamp)).toEqual(
            TIMESTAMP_DELTAS.map((d) => String(logAppendTime ? MAX_TIMESTAMP : FIRST_TIMESTAMP + d)),
          )
          // The skipped delta leaves the decoder at the offset delta: keys, values and headers are intact.
          expect(records.map((r) => [r.key?.toString(), r.value?.toString()])).toEqual(
            TIMESTAMP_DELTAS.map((_, k) => [`key-${k}`, `{"n":${k}}`]),
          )
          // Records without headers get an empty object of their own; the one with a header keeps it.
          expect(records.map((r) => Object.keys(r.headers))).toEqual(
            TIMESTAMP_DELTAS.map((_, k) => (k === 2 ? ['trace'] : [])),
          )
          expect(records[2]!.headers.trace?.toString()).toBe('t2')
          expect(new Set(records.map((r) => r.headers)).size).toBe(records.length)
        })

  it('keeps the messages at or above the fetched offset, exactly on both sides of 2^53', () => {
    const kept = (fetched: string, offsets: string[]): string[] =>
      new Batch('t', fetched, {
        partition: 0,
        highWatermark: '0',
        messages: offsets.map((offset) => ({ offset, isControlRecord: false })),
      }).messages.map((m) => m.offset)
    expect(kept('11', ['9', '10', '11', '12'])).toEqual(['11', '12'])
    // 2^53 + 1 is not a Number: the comparison must not round it to 2^53.
    const around = ['9007199254740991', '9007199254740992', '9007199254740993', '9007199254740994']
    expect(kept('9007199254740993', around)).toEqual(['9007199254740993', '9007199254740994'])
    expect(kept('9007199254740992', around)).toEqual(around.slice(1))
    expect(kept('5', around)).toEqual(around)
  })

  it('drops control records, and keeps the fetched array itself when it drops nothing', () => {
    const messages = ['7', '8', '9'].map((offset) => ({ offset, isControlRecord: false }))
    const batch = (ms: typeof messages): { messages: unknown[] } =>
      new Batch('t', '7', { partition: 0, highWatermark: '10', messages: ms })
    expect(batch(messages).messages).toBe(messages)
    const withControl = [...messages, { offset: '10', isControlRecord: true }]
    expect(batch(withControl).messages).toEqual(messages)
    // An early offset and a control record in one fetch: both dropped.
    const both = [{ offset: '6', isControlRecord: false }, ...withControl]
    expect(batch(both).messages).toEqual(messages)
  })
})
