/**
 * A kafkajs batch as the engine takes it (engine.ts EncodedBatch): the bytes of its values in one buffer, which is
 * then transferred to the engine thread, not copied again. kafkajs decodes a fetch into slices of one response
 * buffer, so the values of a batch usually lie in order in one ArrayBuffer, a few bytes of record framing apart:
 * each such run is copied with one memcpy (the framing comes along, about 12%) instead of one copy per message.
 * Messages below `from` (already read: a fetch can repeat them after a seek) are skipped.
 */
import type { KafkaMessage } from 'kafkajs'
import type { EncodedBatch } from './engine.ts'

/** Where runs of values lie in their source buffers: one entry per run, copied in order into the batch. */
interface Run { source: Uint8Array; from: number; to: number }

export function encodeBatch(partition: number, messages: KafkaMessage[], from: number): { batch: EncodedBatch; next: number } | undefined {
  let first = 0
  while (first < messages.length && Number(messages[first]!.offset) < from) first++
  const count = messages.length - first
  if (count <= 0) return undefined
  const starts = new Int32Array(count)
  const ends = new Int32Array(count)
  const offsets = new Float64Array(count)
  const arrivals = new Float64Array(count)
  const runs: Run[] = []
  let run: Run | undefined
  let size = 0
  for (let k = 0; k < count; k++) {
    const m = messages[first + k]!
    offsets[k] = Number(m.offset)
    arrivals[k] = Number(m.timestamp)
    const v = m.value
    if (v === null || v.length === 0) {
      starts[k] = ends[k] = size
      continue
    }
    if (run === undefined || v.buffer !== run.source.buffer || v.byteOffset < run.to) {
      run = { source: new Uint8Array(v.buffer), from: v.byteOffset, to: v.byteOffset }
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
    values.set(r.source.subarray(r.from, r.to), at)
    at += r.to - r.from
  }
  return { batch: { partition, count, values, starts, ends, offsets, arrivals, now: Date.now() }, next: offsets[count - 1]! + 1 }
}
