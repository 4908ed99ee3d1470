/**
 * Simulator to Kafka with --speed max: events/s through the idempotent producer (acks all, key userId, batches of
 * 5000, one batch in flight while the next is simulated). Baseline in the same run: the bare producer sending
 * pre-built lines of the same shape with the same settings, i.e. what Kafka and kafkajs allow on this machine.
 * The simulator runs on a worker thread (as `playcount generate --kafka --speed max` does), so it does not take
 * turns with the producer's encoding on one core.
 * Also reported: the simulator alone (no sink), the CPU ceiling of generation.
 *
 * Size: SIM_BENCH_EVENTS (default 1,000,000 events; about 10,000 listeners for a day of event time per 700k).
 */
import { Partitioners } from 'kafkajs'
import { generateCatalog } from '../ingest/catalog/generate.ts'
import { runSimulation } from '../ingest/simulator/run.ts'
import { simulate, type SimOptions } from '../ingest/simulator/simulate.ts'
import { kafkaSink } from '../ingest/simulator/sinks.ts'
import { Catalog } from '../shared/catalog.ts'
import type { Config } from '../shared/config.ts'
import { createKafka } from '../shared/kafka.ts'
import { DAY_MS } from '../shared/layout.ts'
import { createLogger } from '../shared/logger.ts'
import type { BenchContext, BenchRow } from './types.ts'

const EVENTS = Number(process.env.SIM_BENCH_EVENTS ?? 1_000_000)
const LISTENERS = 10_000
const EVENTS_PER_LISTENER_DAY = 70
const BATCH = 5000

function withTopic(config: Readonly<Config>, topic: string): Readonly<Config> {
  return { ...config, kafka: { ...config.kafka, topic, dlqTopic: `${topic}.dlq` } }
}

async function deleteTopics(config: Readonly<Config>): Promise<void> {
  const admin = createKafka(config).admin()
  await admin.connect()
  try {
    const existing = new Set(await admin.listTopics())
    const topics = [config.kafka.topic, config.kafka.dlqTopic].filter((t) => existing.has(t))
    if (topics.length > 0) await admin.deleteTopics({ topics })
  } finally {
    await admin.disconnect()
  }
}

/** The bare producer: pre-built messages, same batch size, one send in flight. */
async function bareProducer(config: Readonly<Config>, lines: Array<{ key: string; value: string }>, total: number): Promise<number> {
  const producer = createKafka(config).producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner })
  await producer.connect()
  try {
    const t0 = performance.now()
    let sent = 0
    while (sent < total) {
      const from = sent % lines.length
      const batch = lines.slice(from, Math.min(lines.length, from + BATCH, from + total - sent))
      await producer.send({ topic: config.kafka.topic, acks: -1, messages: batch })
      sent += batch.length
    }
    return sent / ((performance.now() - t0) / 1000)
  } finally {
    await producer.disconnect()
  }
}

export default async function bench(ctx: BenchContext): Promise<BenchRow[]> {
  const g = generateCatalog({ artists: 2000, songs: 50_000, seed: 42 })
  const catalog = new Catalog(g.artists, g.songs)
  const durationMs = Math.ceil((EVENTS / (LISTENERS * EVENTS_PER_LISTENER_DAY)) * DAY_MS)
  // In the past, so a consumer would accept every event.
  const sim: SimOptions = { catalog, listeners: LISTENERS, start: Date.now() - durationMs - 3_600_000, durationMs, seed: 1 }
  const log = createLogger({ level: 'warn', name: 'bench' })

  let t0 = performance.now()
  let n = 0
  const sample: Array<{ key: string; value: string }> = []
  for (const o of simulate(sim)) {
    n++
    if (sample.length < 200_000) sample.push({ key: o.key, value: o.line })
  }
  // The rhythm of the day makes the count approximate; the Kafka run below sends exactly these n events.
  const genRate = n / ((performance.now() - t0) / 1000)
  ctx.log(`simulator alone: ${n} events, ${Math.round(genRate)}/s`)

  const base = withTopic(ctx.config, `bench-sim-base-${process.pid}`)
  const { createTopicsFor } = { createTopicsFor: async (c: Readonly<Config>) => (await kafkaSink(c, log)).close() }
  let baseline: number
  try {
    await createTopicsFor(base)
    baseline = await bareProducer(base, sample, n)
    ctx.log(`bare producer: ${Math.round(baseline)}/s`)
  } finally {
    await deleteTopics(base)
  }

  const target = withTopic(ctx.config, `bench-sim-${process.pid}`)
  let rate: number
  try {
    const sink = await kafkaSink(target, log, { batchSize: BATCH })
    t0 = performance.now()
    const { summary } = await runSimulation(sim, sink, { speed: 'max', threaded: true })
    await sink.close()
    rate = summary.emitted / ((performance.now() - t0) / 1000)
    ctx.log(`simulator -> kafka: ${summary.emitted} events, ${Math.round(rate)}/s`)
  } finally {
    await deleteTopics(target)
  }
  return [
    { bench: 'simulator', measure: 'simulator alone (no sink), events/s', value: genRate, unit: 'events/s' },
    { bench: 'simulator', measure: 'bare idempotent producer, pre-built lines, events/s', value: baseline, unit: 'events/s' },
    {
      bench: 'simulator', measure: `simulator -> Kafka --speed max (${n} events), events/s`, value: rate, unit: 'events/s',
      baseline, ratio: rate / baseline, target: '>= 100k/s', met: rate >= 100_000,
    },
  ]
}
