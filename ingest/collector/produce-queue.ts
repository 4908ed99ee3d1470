/**
 * Group commit for the collector. Concurrent requests' events share one `producer.send` while the previous one is
 * in flight, so each idempotent producer keeps its one request in flight (kafkajs allows no more for an
 * idempotent producer) and still batches under load. Several producers ("lanes") share the load: each owns a
 * fixed set of partitions (partition % lanes), so a partition, and therefore a key, is only ever written by one
 * producer with one request in flight, and its order holds; meanwhile the other lanes' requests are encoded and
 * appended. A caller's promise settles once every lane that carried some of its events has been acknowledged.
 * The collector uses one lane by default: the encoding shares one thread, so more lanes measured slower.
 */
import type { Message, Producer } from 'kafkajs'

interface Waiting {
  messages: Message[]
  resolve: () => void
  reject: (err: unknown) => void
}

class Lane {
  private queue: Waiting[] = []
  private sending = false

  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly maxBatch: number,
  ) {}

  send(messages: Message[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ messages, resolve, reject })
      if (!this.sending) void this.drain()
    })
  }

  private async drain(): Promise<void> {
    this.sending = true
    while (this.queue.length > 0) {
      const group: Waiting[] = []
      let size = 0
      while (this.queue.length > 0 && (group.length === 0 || size + this.queue[0]!.messages.length <= this.maxBatch)) {
        const w = this.queue.shift()!
        group.push(w)
        size += w.messages.length
      }
      try {
        await this.producer.send({
          topic: this.topic,
          acks: -1,
          messages: group.length === 1 ? group[0]!.messages : group.flatMap((w) => w.messages),
        })
        for (const w of group) w.resolve()
      } catch (err) {
        for (const w of group) w.reject(err)
      }
    }
    this.sending = false
  }
}

export class ProduceQueue {
  private readonly lanes: Lane[]

  /** `partitionOf` must be the producers' own partitioner, so the partition given on each message is theirs too. */
  constructor(
    producers: Producer[],
    topic: string,
    private readonly partitionOf: (key: string) => number,
    maxBatch = 10_000,
  ) {
    this.lanes = producers.map((p) => new Lane(p, topic, maxBatch))
  }

  /** Messages keyed by a string; each is given its partition and goes to the lane that owns it. */
  send(messages: Array<Message & { key: string }>): Promise<void> {
    const n = this.lanes.length
    if (n === 1) return this.lanes[0]!.send(messages.map((m) => ({ ...m, partition: this.partitionOf(m.key) })))
    const parts: Message[][] = Array.from({ length: n }, () => [])
    for (const m of messages) {
      const partition = this.partitionOf(m.key)
      parts[partition % n]!.push({ ...m, partition })
    }
    return Promise.all(parts.flatMap((p, i) => (p.length > 0 ? [this.lanes[i]!.send(p)] : []))).then(() => undefined)
  }
}
