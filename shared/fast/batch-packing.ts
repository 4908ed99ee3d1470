/**
 * A kafkajs batch as flat buffers, to hand to a worker thread by transfer instead of cloning message objects (the
 * archiver's encoder thread does this; the speed layer's engine thread takes the same shape). kafkajs decodes a fetch
 * into slices of one response buffer, so the values of a batch usually lie in order in one ArrayBuffer, a few bytes
 * of record framing apart: each such run is copied with one copy (the framing comes along) instead of one per message.
 */
import type { KafkaMessage } from 'kafkajs'

/**
 * One Kafka batch of one partition: value k is `values[starts[k], ends[k])`, with its offset and arrival time (the
 * Kafka timestamp). A message without a value (a tombstone) has an empty range and is listed in `nulls`.
 */
export interface KafkaBatchBuffers {
  partition: number
  count: number
  values: Uint8Array
  starts: Int32Array
  ends: Int32Array
  offsets: Float64Array
  arrivals: Float64Array
  nulls: number[]
}

/** Where a run of values lies in its source buffer. */
interface Run {
  source: ArrayBufferLike
  from: number
  to: number
}

export function packBatch(
  partition: number,
  messages: ReadonlyArray<Pick<KafkaMessage, 'offset' | 'timestamp' | 'value'>>,
): KafkaBatchBuffers {
  const count = messages.length
  const starts = new Int32Array(count)
  const ends = new Int32Array(count)
  const offsets = new Float64Array(count)
  const arrivals = new Float64Array(count)
  const nulls: number[] = []
  const runs: Run[] = []
  let run: Run | undefined
  let size = 0
  // With LogAppendTime (playcount's topics) kafkajs gives every message of a record batch the same timestamp string:
  // it is parsed once, not once a message.
  let timestamp: string | undefined
  let arrival = 0
  for (let k = 0; k < count; k++) {
    const m = messages[k]!
    offsets[k] = Number(m.offset)
    if (m.timestamp !== timestamp) {
      timestamp = m.timestamp
      arrival = Number(timestamp)
    }
    arrivals[k] = arrival
    const v = m.value
    if (v === null || v.length === 0) {
      if (v === null) nulls.push(k)
      starts[k] = ends[k] = size
      continue
    }
    if (run === undefined || v.buffer !== run.source || v.byteOffset < run.to) {
      run = { source: v.buffer, from: v.byteOffset, to: v.byteOffset }
      runs.push(run)
    } else {
      size += v.byteOffset - run.to // the framing between two values of a run is copied too
    }
    starts[k] = size
    size += v.length
    ends[k] = size
    run.to = v.byteOffset + v.length
  }
  const values = new Uint8Array(size)
  let at = 0
  for (const r of runs) {
    values.set(new Uint8Array(r.source, r.from, r.to - r.from), at)
    at += r.to - r.from
  }
  return { partition, count, values, starts, ends, offsets, arrivals, nulls }
}

/**
 * The batch's messages from offset `from` on, packed (a fetch can repeat messages already read after a seek), and the
 * offset after the last; undefined when every message is below `from`.
 */
export function packBatchFrom(
  partition: number,
  messages: ReadonlyArray<Pick<KafkaMessage, 'offset' | 'timestamp' | 'value'>>,
  from: number,
): { buffers: KafkaBatchBuffers; next: number } | undefined {
  let first = 0
  while (first < messages.length && Number(messages[first]!.offset) < from) first++
  if (first === messages.length) return undefined
  const buffers = packBatch(partition, first === 0 ? messages : messages.slice(first))
  return { buffers, next: buffers.offsets[buffers.count - 1]! + 1 }
}
