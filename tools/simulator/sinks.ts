/**
 * Where simulated lines go: an NDJSON file (or stdout), the Kafka topic (key userId, acks all, large batches with
 * a few in flight), or the HTTP collector (NDJSON batches, retried on 503). Valid and malformed lines alike are
 * sent: catching the malformed ones is the receivers' job.
 */
import fs from 'node:fs'
import { once } from 'node:events'
import { Partitioners, type Message, type Producer } from 'kafkajs'
import type { Config } from '../../shared/config.ts'
import { Errors } from '../../shared/errors.ts'
import { createKafka, prepareTopics } from '../../shared/kafka.ts'
import type { Logger } from '../../shared/logger.ts'
import { withRetry } from '../../shared/retry.ts'
import { keyAt, lineAt, type EventLines } from './event-lines.ts'
import { Pipeline } from './pipeline.ts'

export interface Sink {
  readonly name: string
  /** One line and its Kafka key; returns a promise only when the caller must wait (a batch is being handed over). */
  write(key: string, line: string): Promise<void> | undefined
  /** A worker's packed batch, taken whole (sinks without it are given the lines one by one). */
  writeBatch?(batch: EventLines): Promise<void> | undefined
  /** The topic's partition count, when the sink wants each line's partition computed by the simulator's worker. */
  readonly partitions?: number
  /** Everything written so far is delivered (in the file, acknowledged by Kafka or the collector). */
  flush(): Promise<void>
  close(): Promise<void>
}

export function fileSink(file: string): Sink {
  const stream = file === '-' ? process.stdout : fs.createWriteStream(file)
  let chunk = ''
  const drain = async (): Promise<void> => {
    const data = chunk
    chunk = ''
    if (data && !stream.write(data)) await once(stream, 'drain')
  }
  return {
    name: file === '-' ? 'stdout' : file,
    write(_key, line) {
      chunk += line + '\n'
      return chunk.length >= 256 * 1024 ? drain() : undefined
    },
    async writeBatch(batch) {
      await drain()
      if (!stream.write(batch.values)) await once(stream, 'drain')
    },
    flush: drain,
    async close() {
      await drain()
      if (stream !== process.stdout)
        await new Promise<void>((resolve, reject) =>
          (stream as fs.WriteStream).end((err?: Error | null) => (err ? reject(err) : resolve())),
        )
    },
  }
}

/** How the simulator produces; the bench's bare producer uses the same. */
export const SIM_PRODUCER = { batchSize: 2000, maxInFlight: 3 } as const

/**
 * Not the idempotent producer: kafkajs lets an idempotent producer have one request in flight per broker, which
 * leaves the encoding thread idle while the broker appends. The simulator's duplicates are resolved downstream by
 * eventId anyway, so a retried batch written twice is harmless; acks stay -1 so an acknowledged batch is durable.
 * (The collector keeps the idempotent producer.) Kafka handles a connection's requests in order, so a key's events
 * stay in emission order unless a send is retried. Sends of 2000 beat larger ones (measured: 2000 x 3 in flight
 * ~10 us of CPU per event, 5000 x 3 ~14): kafkajs groups messages by partition by copying arrays, quadratic in
 * the messages per partition, and large batches cost more in GC.
 */
export async function kafkaSink(
  config: Readonly<Config>,
  log: Logger,
  opts: { batchSize?: number; maxInFlight?: number } = {},
): Promise<Sink> {
  const kafka = createKafka(config, log, 'generator')
  const partitions = await prepareTopics(kafka, config)
  const maxInFlight = opts.maxInFlight ?? SIM_PRODUCER.maxInFlight
  const producer: Producer = kafka.producer({
    idempotent: false,
    maxInFlightRequests: maxInFlight,
    createPartitioner: Partitioners.DefaultPartitioner,
  })
  await producer.connect()
  const pipeline = new Pipeline<Message>(
    opts.batchSize ?? SIM_PRODUCER.batchSize,
    async (messages) => {
      await producer.send({ topic: config.kafka.topic, acks: -1, messages })
    },
    maxInFlight,
  )
  return {
    name: `kafka topic ${config.kafka.topic}`,
    partitions,
    write: (key, line) => pipeline.add({ key, value: line }),
    async writeBatch(b) {
      for (let i = 0; i < b.count; i++) {
        // Buffers are written as they are; a partition given here skips kafkajs's murmur2 on this thread.
        const pending = pipeline.add({ key: keyAt(b, i), value: lineAt(b, i), partition: b.partitions?.[i] })
        if (pending) await pending
      }
    },
    flush: () => pipeline.flush(),
    async close() {
      try {
        await pipeline.flush()
      } finally {
        await producer.disconnect()
      }
    },
  }
}

export interface HttpTally {
  accepted: number
  rejected: number
}

/** POSTs NDJSON batches to the collector; `tally` counts what it accepted and refused. */
export function httpSink(
  url: string,
  log: Logger,
  opts: { batchSize?: number; apiToken?: string | undefined } = {},
): Sink & { tally: HttpTally } {
  const target = new URL(url)
  if (target.pathname === '/' || target.pathname === '') target.pathname = '/v1/events'
  const tally: HttpTally = { accepted: 0, rejected: 0 }
  const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' }
  if (opts.apiToken) headers.authorization = `Bearer ${opts.apiToken}`
  const pipeline = new Pipeline<string>(opts.batchSize ?? 500, async (lines) => {
    const body = lines.join('\n') + '\n'
    await withRetry(
      async () => {
        const res = await fetch(target, { method: 'POST', headers, body })
        const text = await res.text()
        if (res.status === 202 || res.status === 400) {
          const answer = JSON.parse(text) as { accepted?: number; rejected?: unknown[] }
          tally.accepted += answer.accepted ?? 0
          tally.rejected += answer.rejected?.length ?? 0
          return
        }
        if (res.status === 413)
          throw new Errors.PAYLOAD_TOO_LARGE(`the collector refused a batch of ${lines.length} lines: ${text}`)
        // 503 and other server-side failures: the collector did not take the batch, so resending is safe.
        throw new Errors.KAFKA_UNAVAILABLE(`collector answered ${res.status}: ${text.slice(0, 200)}`)
      },
      { what: `POST ${target.href}`, log, retries: 10, maxTimeoutMs: 5000 },
    )
  })
  return {
    name: target.href,
    tally,
    write: (_key, line) => pipeline.add(line),
    flush: () => pipeline.flush(),
    close: () => pipeline.flush(),
  }
}
