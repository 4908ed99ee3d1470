/**
 * A kafkajs batch as the engine takes it: shared/kafka-batch.ts's flat buffers (transferred to the engine thread,
 * not copied again) plus the wall clock. Messages below `from` (already read: a fetch can repeat them after a seek)
 * are skipped.
 */
import type { KafkaMessage } from 'kafkajs'
import { packBatch } from '../shared/fast/batch-packing.ts'
import type { EncodedBatch } from './engine.ts'

export function encodeBatch(partition: number, messages: KafkaMessage[], from: number): { batch: EncodedBatch; next: number } | undefined {
  let first = 0
  while (first < messages.length && Number(messages[first]!.offset) < from) first++
  if (first === messages.length) return undefined
  const packed = packBatch(partition, first === 0 ? messages : messages.slice(first))
  return { batch: { ...packed, now: Date.now() }, next: packed.offsets[packed.count - 1]! + 1 }
}
