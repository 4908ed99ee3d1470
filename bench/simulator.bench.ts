/**
 * Simulator to Kafka with --speed max: events/s through the simulator's producer (acks all, key userId, batches of
 * SIM_PRODUCER.batchSize with SIM_PRODUCER.maxInFlight sends outstanding, the simulator on a worker thread handing
 * over packed Buffers with their partitions, as `playcount generate --kafka --speed max` does).
 * Baselines in the same run, each sending pre-built messages of the same shape:
 *  - the bare producer with the sink's settings (Buffers, partitions given, same batch and in-flight): what kafkajs
 *    allows on this machine, the ceiling the sink is measured against;
 *  - the bare producer with the former settings (idempotent, strings, 5000 per send, one in flight).
 * Main-thread CPU per event is reported too: on a shared machine it moves less than events/s.
 *
 * Size: SIM_BENCH_EVENTS (default 1,000,000 simulated events; about 10,000 listeners for a day of event time per
 * 700k), SIM_BENCH_BARE_EVENTS (300,000 per bare-producer run).
 */
import { Partitioners, type Message } from 'kafkajs'
import { generateCatalog } from '../shared/catalog/generate.ts'
import { runSimulation } from '../tools/simulator/run.ts'
import { simulate, type SimOptions } from '../tools/simulator/simulate.ts'
import { partitionerFor } from '../shared/partitioner.ts'
import { Pipeline } from '../tools/simulator/pipeline.ts'
import { kafkaSink, SIM_PRODUCER } from '../tools/simulator/sinks.ts'
import { Catalog } from '../shared/catalog/catalog.ts'
import type { Config } from '../shared/config.ts'
import { createKafka } from '../shared/kafka.ts'
import { DAY_MS } from '../shared/layout.ts'
import { createLogger } from '../shared/logger.ts'
import type { BenchContext, BenchRow } from './types.ts'

const EVENTS = Number(process.env.SIM_BENCH_EVENTS ?? 1_000_000)
const LISTENERS = 10_000
const EVENTS_PER_LISTENER_DAY = 70
const BARE_EVENTS = Number(process.env.SIM_BENCH_BARE_EVENTS ?? 300_000)

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

interface Settings {
  idempotent: boolean
  batchSize: number
  maxInFlight: number
}
interface Rate {
  rate: number
  cpuUsPerEvent: number
}

/** The bare producer: pre-built messages sent through the same Pipeline as the sink. */
async function bareProducer(config: Readonly<Config>, messages: Message[], total: number, s: Settings): Promise<Rate> {
  const producer = createKafka(config).producer({
    idempotent: s.idempotent,
    maxInFlightRequests: s.idempotent ? 1 : s.maxInFlight,
    createPartitioner: Partitioners.DefaultPartitioner,
  })
  await producer.connect()
  try {
    const pipeline = new Pipeline<Message>(
      s.batchSize,
      async (batch) => {
        await producer.send({ topic: config.kafka.topic, acks: -1, messages: batch })
      },
      s.maxInFlight,
    )
    const t0 = performance.now()
    const cpu0 = process.cpuUsage()
    for (let i = 0; i < total; i++) {
      const pending = pipeline.add(messages[i % messages.length]!)
      if (pending) await pending
    }
    await pipeline.flush()
    const cpu = process.cpuUsage(cpu0)
    return { rate: total / ((performance.now() - t0) / 1000), cpuUsPerEvent: (cpu.user + cpu.system) / total }
  } finally {
    await producer.disconnect()
  }
}

export default async function bench(ctx: BenchContext): Promise<BenchRow[]> {
  const g = generateCatalog({ artists: 2000, songs: 50_000, seed: 42 })
  const catalog = new Catalog(g.artists, g.songs)
  const durationMs = Math.ceil((EVENTS / (LISTENERS * EVENTS_PER_LISTENER_DAY)) * DAY_MS)
  // In the past, so a consumer would accept every event.
  const sim: SimOptions = {
    catalog,
    listeners: LISTENERS,
    start: Date.now() - durationMs - 3_600_000,
    durationMs,
    seed: 1,
  }
  const log = createLogger({ level: 'warn', name: 'bench' })

  let t0 = performance.now()
  let n = 0
  const strings: Message[] = []
  const buffers: Message[] = []
  const partitionOf = partitionerFor(ctx.config.kafka.partitions)
  for (const o of simulate(sim)) {
    n++
    if (strings.length < 200_000) {
      strings.push({ key: o.key, value: o.line })
      buffers.push({ key: Buffer.from(o.key), value: Buffer.from(o.line), partition: partitionOf(o.key) })
    }
  }
  // The rhythm of the day makes the count approximate; the Kafka run below sends exactly these n events.
  const genRate = n / ((performance.now() - t0) / 1000)
  ctx.log(`simulator alone: ${n} events, ${Math.round(genRate)}/s`)

  const bare = Math.min(n, BARE_EVENTS)
  const base = withTopic(ctx.config, `bench-sim-base-${process.pid}`)
  let before: Rate
  let ceiling: Rate
  try {
    await (await kafkaSink(base, log)).close()
    before = await bareProducer(base, strings, bare, { idempotent: true, batchSize: 5000, maxInFlight: 1 })
    ctx.log(`bare producer, former settings: ${JSON.stringify(before)}`)
    ceiling = await bareProducer(base, buffers, bare, { idempotent: false, ...SIM_PRODUCER })
    ctx.log(`bare producer, sink settings: ${JSON.stringify(ceiling)}`)
  } finally {
    await deleteTopics(base)
  }

  const target = withTopic(ctx.config, `bench-sim-${process.pid}`)
  let rate: number
  try {
    const sink = await kafkaSink(target, log)
    t0 = performance.now()
    const { summary } = await runSimulation(sim, sink, { speed: 'max', threaded: true })
    await sink.close()
    rate = summary.emitted / ((performance.now() - t0) / 1000)
    ctx.log(`simulator -> kafka: ${summary.emitted} events, ${Math.round(rate)}/s`)
  } finally {
    await deleteTopics(target)
  }
  const settings = `batches of ${SIM_PRODUCER.batchSize}, ${SIM_PRODUCER.maxInFlight} in flight`
  return [
    { bench: 'simulator', measure: 'simulator alone (no sink), events/s', value: genRate, unit: 'events/s' },
    {
      bench: 'simulator',
      measure: 'bare producer, former settings (idempotent, strings, 5000/send, 1 in flight), events/s',
      value: before.rate,
      unit: 'events/s',
    },
    {
      bench: 'simulator',
      measure: 'bare producer, former settings, main-thread CPU per event',
      value: before.cpuUsPerEvent,
      unit: 'µs',
    },
    {
      bench: 'simulator',
      measure: `bare producer, sink settings (Buffers + partitions, ${settings}), events/s`,
      value: ceiling.rate,
      unit: 'events/s',
      baseline: before.rate,
      ratio: ceiling.rate / before.rate,
    },
    {
      bench: 'simulator',
      measure: 'bare producer, sink settings, main-thread CPU per event',
      value: ceiling.cpuUsPerEvent,
      unit: 'µs',
      baseline: before.cpuUsPerEvent,
      ratio: ceiling.cpuUsPerEvent / before.cpuUsPerEvent,
    },
    {
      bench: 'simulator',
      measure: `simulator -> Kafka --speed max (${n} events), events/s`,
      value: rate,
      unit: 'events/s',
      baseline: ceiling.rate,
      ratio: rate / ceiling.rate,
      target: '>= 100k/s',
      met: rate >= 100_000,
    },
    {
      bench: 'simulator',
      measure: 'simulator -> Kafka vs bare producer, former settings',
      value: rate,
      unit: 'events/s',
      baseline: before.rate,
      ratio: rate / before.rate,
    },
  ]
}
