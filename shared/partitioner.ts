/** The partition kafkajs's DefaultPartitioner picks for a keyed message (murmur2 of the key), computed ahead. */
import { Partitioners } from 'kafkajs'

export function partitionerFor(count: number): (key: string) => number {
  const partitioner = Partitioners.DefaultPartitioner()
  const partitionMetadata = Array.from({ length: count }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
  }))
  return (key) => partitioner({ topic: '', partitionMetadata, message: { key, value: null } })
}
