/**
 * Where simulated lines go: an NDJSON file (or stdout), the Kafka topic (idempotent producer, key userId, acks all,
 * batched, one batch in flight while the next one fills), or the HTTP collector (NDJSON batches, retried on 503).
 * Valid and malformed lines alike are sent: catching the malformed ones is the receivers' job.
 */
import fs from 'node:fs'
import { once } from 'node:events'
import { Partitioners, type Message, type Producer } from 'kafkajs'
import type { Config } from '../../shared/config.ts'
import { Errors } from '../../shared/errors.ts'
import { createKafka, ensureTopics } from '../../shared/kafka.ts'
import type { Logger } from '../../shared/logger.ts'
import { withRetry } from '../../shared/retry.ts'

export interface Sink {
  readonly name: string
  /** One line and its Kafka key; returns a promise only when the caller must wait (a batch is being handed over). */
  write(key: string, line: string): Promise<void> | undefined
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
    flush: drain,
    async close() {
      await drain()
      if (stream !== process.stdout) await new Promise<void>((resolve, reject) => (stream as fs.WriteStream).end((err?: Error | null) => (err ? reject(err) : resolve())))
    },
  }
}

/** Hands over one batch at a time while the next fills; `send` failures surface on the next write or flush. */
class Pipeline<T> {
  private buffer: T[] = []
  private inflight: Promise<void> | undefined

  constructor(private readonly batchSize: number, private readonly send: (batch: T[]) => Promise<void>) {}

  add(item: T): Promise<void> | undefined {
    this.buffer.push(item)
    return this.buffer.length >= this.batchSize ? this.dispatch() : undefined
  }

  private async dispatch(): Promise<void> {
    if (this.inflight) await this.inflight
    if (this.buffer.length === 0) return
    const batch = this.buffer
    this.buffer = []
    const p = this.send(batch)
    this.inflight = p
    // A rejection is observed by whoever awaits `inflight` next; keep it from being reported as unhandled meanwhile.
    p.catch(() => undefined)
  }

  async flush(): Promise<void> {
    await this.dispatch()
    const p = this.inflight
    this.inflight = undefined
    await p
  }
}

export async function kafkaSink(config: Readonly<Config>, log: Logger, opts: { batchSize?: number } = {}): Promise<Sink> {
  const kafka = createKafka(config, log, 'generator')
  const admin = kafka.admin()
  await admin.connect()
  try {
    await ensureTopics(admin, config)
  } finally {
    await admin.disconnect()
  }
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner })
  await producer.connect()
  const pipeline = new Pipeline<Message>(opts.batchSize ?? 5000, async (messages) => {
    await producer.send({ topic: config.kafka.topic, acks: -1, messages })
  })
  return {
    name: `kafka topic ${config.kafka.topic}`,
    write: (key, line) => pipeline.add({ key, value: line }),
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

export interface HttpTally { accepted: number; rejected: number }

/** POSTs NDJSON batches to the collector; `tally` counts what it accepted and refused. */
export function httpSink(url: string, log: Logger, opts: { batchSize?: number; apiToken?: string | undefined } = {}): Sink & { tally: HttpTally } {
  const target = new URL(url)
  if (target.pathname === '/' || target.pathname === '') target.pathname = '/v1/events'
  const tally: HttpTally = { accepted: 0, rejected: 0 }
  const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' }
  if (opts.apiToken) headers.authorization = `Bearer ${opts.apiToken}`
  const pipeline = new Pipeline<string>(opts.batchSize ?? 500, async (lines) => {
    const body = lines.join('\n') + '\n'
    await withRetry(async () => {
      const res = await fetch(target, { method: 'POST', headers, body })
      const text = await res.text()
      if (res.status === 202 || res.status === 400) {
        const answer = JSON.parse(text) as { accepted?: number; rejected?: unknown[] }
        tally.accepted += answer.accepted ?? 0
        tally.rejected += answer.rejected?.length ?? 0
        return
      }
      if (res.status === 413) throw new Errors.PAYLOAD_TOO_LARGE(`the collector refused a batch of ${lines.length} lines: ${text}`)
      // 503 and other server-side failures: the collector did not take the batch, so resending is safe.
      throw new Errors.KAFKA_UNAVAILABLE(`collector answered ${res.status}: ${text.slice(0, 200)}`)
    }, { what: `POST ${target.href}`, log, retries: 10, maxTimeoutMs: 5000 })
  })
  return {
    name: target.href,
    tally,
    write: (_key, line) => pipeline.add(line),
    flush: () => pipeline.flush(),
    close: () => pipeline.flush(),
  }
}
