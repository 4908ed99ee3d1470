/**
 * The HTTP collector (ingest role): `POST /v1/events` validates against the event contract and produces the valid
 * events to Kafka (idempotent producers, key userId, acks all; see produce-queue.ts). It answers 202 only after Kafka acknowledged them,
 * 503 when Kafka cannot take them within the deadline: never 202 for an event that is not in Kafka.
 */
import type { FastifyPluginAsync } from 'fastify'
import { Partitioners, type Producer } from 'kafkajs'
import { Counter, type Registry } from 'prom-client'
import type { Catalog } from '../../shared/catalog/catalog.ts'
import type { Config } from '../../shared/config.ts'
import { Errors, isPlaycountError } from '../../shared/errors.ts'
import { encodeEvent, EventSchema, type ListenEvent } from '../../shared/event.ts'
import { createKafka, prepareTopics } from '../../shared/kafka.ts'
import type { Logger } from '../../shared/logger.ts'
import { jsonItems, MAX_BODY_BYTES, ndjsonItems, tooLarge, validateItems, type BodyItem } from './body.ts'
import { partitionerFor } from '../../shared/partitioner.ts'
import { ProduceQueue } from './produce-queue.ts'
import { postEventsSchema } from './schemas.ts'

export { MAX_BODY_BYTES, MAX_ITEMS } from './body.ts'

export interface CollectorDeps {
  catalog: Catalog
  log: Logger
  registry: Registry
  /** How long a request waits for Kafka before answering 503 (default 5 s). */
  sendTimeoutMs?: number
  /**
   * Idempotent producers sharing the partitions, one request in flight each (see produce-queue.ts). Default 1:
   * on one event loop two lanes measured slower (each request waits for both, and sends are half as large).
   */
  producers?: number
}

export interface Collector {
  routes: FastifyPluginAsync
  start(): Promise<void>
  stop(): Promise<void>
}

export const MEDIA_TYPES = ['application/json', 'application/x-ndjson'] as const

export interface Refusal {
  index: number
  field: string
  rule: string
  reason: string
}

function counter(registry: Registry, name: string, help: string, labelNames: string[] = []): Counter<string> {
  return (
    (registry.getSingleMetric(name) as Counter<string> | undefined) ??
    new Counter({ name, help, labelNames, registers: [registry] })
  )
}

export function buildCollector(config: Readonly<Config>, deps: CollectorDeps): Collector {
  const { catalog, log, registry } = deps
  const timeoutMs = deps.sendTimeoutMs ?? 5000
  const accepted = counter(registry, 'playcount_ingest_accepted_total', 'events acknowledged by Kafka and answered 202')
  const rejected = counter(registry, 'playcount_ingest_rejected_total', 'events refused by validation, by reason', [
    'reason',
  ])
  const unavailable = counter(
    registry,
    'playcount_ingest_unavailable_total',
    'events answered 503 because Kafka did not take them',
  )
  const kafka = createKafka(config, log, 'collector')
  let producers: Producer[] = []
  let queue: ProduceQueue | undefined
  let connecting: Promise<ProduceQueue> | undefined
  let stopped = false

  // One connection attempt at a time; a failed one is forgotten so the next request tries again.
  const connect = (): Promise<ProduceQueue> => {
    if (queue) return Promise.resolve(queue)
    connecting ??= (async () => {
      const partitions = await prepareTopics(kafka, config)
      const ps = Array.from({ length: Math.max(1, deps.producers ?? 1) }, () =>
        kafka.producer({
          idempotent: true,
          maxInFlightRequests: 1,
          createPartitioner: Partitioners.DefaultPartitioner,
        }),
      )
      try {
        await Promise.all(ps.map((p) => p.connect()))
      } catch (err) {
        await Promise.allSettled(ps.map((p) => p.disconnect()))
        throw err
      }
      if (stopped) {
        await Promise.all(ps.map((p) => p.disconnect()))
        throw new Errors.KAFKA_UNAVAILABLE('the collector is stopping')
      }
      producers = ps
      queue = new ProduceQueue(ps, config.kafka.topic, partitionerFor(partitions))
      return queue
    })().finally(() => {
      connecting = undefined
    })
    return connecting
  }

  const withDeadline = async <T>(what: string, p: Promise<T>, ms = timeoutMs): Promise<T> => {
    // The losing promise may still settle later; observe it so it is not reported as unhandled.
    p.catch((err: unknown) => log.debug({ err }, `${what} failed after its deadline`))
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Errors.KAFKA_UNAVAILABLE(`${what}: no answer within ${timeoutMs} ms`)), ms)
    })
    try {
      return await Promise.race([p, deadline])
    } catch (err) {
      if (isPlaycountError(err, 'KAFKA_UNAVAILABLE')) throw err
      throw new Errors.KAFKA_UNAVAILABLE(`${what}: ${(err as Error).message}`, { cause: err })
    } finally {
      clearTimeout(timer)
    }
  }

  const produce = async (events: ListenEvent[]): Promise<void> => {
    const started = Date.now()
    const q = await withDeadline('connecting to Kafka', connect())
    const messages = events.map((e) => ({ key: e.userId, value: encodeEvent(e) }))
    const left = timeoutMs - (Date.now() - started)
    if (left <= 0) throw new Errors.KAFKA_UNAVAILABLE(`connecting to Kafka took longer than ${timeoutMs} ms`)
    await withDeadline(`producing ${events.length} events`, q.send(messages), left)
  }

  const routes: FastifyPluginAsync = async (app) => {
    if (!app.getSchema('ListenEvent')) app.addSchema(EventSchema)
    // Exactly these media types (matched case-insensitively, parameters such as charset allowed); any other answers
    // 415. Fastify's own JSON parser is replaced: it refuses a whole body for one `__proto__` key, and cannot say
    // which item nests too deep; these parsers screen each item and refuse only the one at fault (body-screen.ts).
    app.removeAllContentTypeParsers()
    const opts = { parseAs: 'buffer', bodyLimit: MAX_BODY_BYTES } as const
    app.addContentTypeParser('application/json', opts, async (_req: unknown, body: Buffer) => jsonItems(body))
    app.addContentTypeParser('application/x-ndjson', opts, async (_req: unknown, body: Buffer) => ndjsonItems(body))
    app.setErrorHandler((err, req) => {
      // Say which limit or media types apply; everything else goes on to the app's error handler.
      const code = (err as { code?: string }).code
      if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') throw tooLarge(`request body over ${MAX_BODY_BYTES / 1024 / 1024} MiB`)
      if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
        throw new Errors.UNSUPPORTED_MEDIA_TYPE(
          `${req.headers['content-type'] ?? 'no content-type'} (POST /v1/events takes ${MEDIA_TYPES.join(' or ')})`,
        )
      }
      throw err
    })
    app.post(
      '/v1/events',
      {
        schema: postEventsSchema,
        // Listeners' apps post with `ingest` keys; readers only read (docs/ARCHITECTURE.md, Access).
        config: { access: 'ingest' },
        bodyLimit: MAX_BODY_BYTES,
        // The body schema documents the route; validation is per item below, so one bad event does not sink the rest.
        validatorCompiler: () => () => true,
      },
      async (req, reply) => {
        // The parsers above made the body into items; a POST without a body reaches here with none.
        const items = req.body as BodyItem[] | undefined
        if (items === undefined) throw new Errors.BAD_REQUEST('the body holds no event')
        const results = validateItems(items, { songExists: catalog.hasSong, now: Date.now() })
        const valid: ListenEvent[] = []
        const refused: Refusal[] = []
        results.forEach((r, index) => {
          if (r.ok) valid.push(r.event)
          else refused.push({ index, ...r.issue })
        })
        for (const r of refused) rejected.inc({ reason: r.reason })
        if (valid.length === 0) {
          const first = refused[0]!
          return reply.code(400).send({
            error: Errors.EVENT_INVALID.code,
            accepted: 0,
            rejected: refused,
            message: `every event was refused; first: index ${first.index} ${first.field} ${first.rule}`,
          })
        }
        try {
          await produce(valid)
        } catch (err) {
          unavailable.inc(valid.length)
          log.warn({ err, events: valid.length }, 'Kafka did not take the events; answering 503')
          throw err
        }
        accepted.inc(valid.length)
        return reply.code(202).send({ accepted: valid.length, rejected: refused })
      },
    )
  }

  return {
    routes,
    async start() {
      await withDeadline('connecting to Kafka', connect())
      log.info({ topic: config.kafka.topic }, 'collector connected to Kafka')
    },
    async stop() {
      stopped = true
      const ps = producers
      producers = []
      queue = undefined
      await Promise.all(ps.map((p) => p.disconnect()))
    },
  }
}
