/**
 * A kafkajs batch as the engine takes it (engine.ts EncodedBatch): the values copied back to back into one buffer,
 * which is then transferred to the engine thread, not copied again. Messages below `from` (already read: a fetch
 * can repeat them after a seek) are skipped.
 */
import type { KafkaMessage } from 'kafkajs'
import type { EncodedBatch } from './engine.ts'

export function encodeBatch(partition: number, messages: KafkaMessage[], from: number): { batch: EncodedBatch; next: number } | undefined {
  let first = 0
  while (first < messages.length && Number(messages[first]!.offset) < from) first++
  const count = messages.length - first
  if (count <= 0) return undefined
  let bytes = 0
  for (let k = first; k < messages.length; k++) bytes += messages[k]!.value?.length ?? 0
  const values = new Uint8Array(bytes)
  const ends = new Int32Array(count)
  const offsets = new Float64Array(count)
  const arrivals = new Float64Array(count)
  let at = 0
  for (let k = 0; k < count; k++) {
    const m = messages[first + k]!
    const v = m.value
    if (v !== null) {
      values.set(v, at)
      at += v.length
    }
    ends[k] = at
    offsets[k] = Number(m.offset)
    arrivals[k] = Number(m.timestamp)
  }
  return { batch: { partition, count, values, ends, offsets, arrivals, now: Date.now() }, next: offsets[count - 1]! + 1 }
}
