/**
 * Group commit for the collector: concurrent requests' events share one `producer.send` while the previous one is
 * in flight, so the idempotent producer keeps one request in flight (no sequence-number races) and still batches
 * under load. Each caller's promise settles with the send that carried its events.
 */
import type { Message, Producer } from 'kafkajs'

interface Waiting { messages: Message[]; resolve: () => void; reject: (err: unknown) => void }

export class ProduceQueue {
  private queue: Waiting[] = []
  private sending = false

  constructor(private readonly producer: Producer, private readonly topic: string, private readonly maxBatch = 10_000) {}

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
        await this.producer.send({ topic: this.topic, acks: -1, messages: group.flatMap((w) => w.messages) })
        for (const w of group) w.resolve()
      } catch (err) {
        for (const w of group) w.reject(err)
      }
    }
    this.sending = false
  }
}
