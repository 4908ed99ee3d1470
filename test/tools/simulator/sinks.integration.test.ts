import fs from 'node:fs'
import path from 'node:path'
import { Registry } from 'prom-client'
import { describe, expect, it, onTestFinished } from 'vitest'
import { generateCatalog } from '../../../shared/catalog/generate.ts'
import { buildCollector } from '../../../ingest/collector/index.ts'
import { partitionerFor } from '../../../shared/partitioner.ts'
import { runSimulation } from '../../../tools/simulator/run.ts'
import { simulate, type SimOptions } from '../../../tools/simulator/simulate.ts'
import { fileSink, httpSink, kafkaSink } from '../../../tools/simulator/sinks.ts'
import { Catalog } from '../../../shared/catalog/catalog.ts'
import { buildHttpApp } from '../../../shared/http-app.ts'
import { createLogger } from '../../../shared/logger.ts'
import { cleanupTopics, testConfig } from '../../helpers.ts'
import { readTopic, topicSize } from '../../support/kafka-read.ts'

const g = generateCatalog({ artists: 50, songs: 500, seed: 5 })
const catalog = new Catalog(g.artists, g.songs)
const log = createLogger({ level: 'silent' })
// Recent event times, so the collector's future-ts rule applies as in production.
const start = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000
const sim: SimOptions = {
  catalog,
  listeners: 300,
  start,
  durationMs: 1_800_000,
  seed: 3,
  duplicates: 0.02,
  late: 0.02,
  malformed: 0.03,
}
const expected = [...simulate(sim)]

describe('simulator sinks', () => {
  it("writes the generator's lines to a file, byte for byte", async () => {
    const file = path.join(testConfig().home, 'events.ndjson')
    const sink = fileSink(file)
    const { summary } = await runSimulation(sim, sink, { speed: 'max' })
    await sink.close()
    expect(fs.readFileSync(file, 'utf8')).toBe(expected.map((o) => o.line + '\n').join(''))
    expect(summary.emitted).toBe(expected.length)
    expect(summary.malformed).toBe(expected.filter((o) => o.kind === 'malformed').length)
  })

  it('gives the same lines and summary when simulating on a worker thread', async () => {
    const home = testConfig().home
    const plain = await runSimulation(sim, fileSink(path.join(home, 'plain.ndjson')), { speed: 'max' })
    const sink = fileSink(path.join(home, 'threaded.ndjson'))
    const threaded = await runSimulation(sim, sink, { speed: 'max', threaded: true })
    await sink.close()
    expect(fs.readFileSync(path.join(home, 'threaded.ndjson'), 'utf8')).toBe(
      expected.map((o) => o.line + '\n').join(''),
    )
    expect({ ...threaded.summary }).toEqual({ ...plain.summary })
  })

  it('produces every line, malformed ones included, to Kafka keyed by userId', async () => {
    const config = testConfig()
    cleanupTopics(config)
    const sink = await kafkaSink(config, log, { batchSize: 500 })
    const { summary } = await runSimulation(sim, sink, { speed: 'max', threaded: true })
    await sink.close()
    expect(summary.emitted).toBe(expected.length)
    const got = await readTopic(config, expected.length)
    expect(await topicSize(config)).toBe(expected.length)
    const sent = expected.map((o) => `${o.key} ${o.line}`).sort()
    expect(got.map((m) => `${m.key} ${m.value}`).sort()).toEqual(sent)
    // Per-listener order survives: one key, one partition, in emission order.
    const user = expected[0]!.key
    expect(got.filter((m) => m.key === user).map((m) => m.value)).toEqual(
      expected.filter((o) => o.key === user).map((o) => o.line),
    )
    expect(new Set(got.filter((m) => m.key === user).map((m) => m.partition)).size).toBe(1)
    // The worker computed the partitions: they are the ones kafkajs's own partitioner picks (as the collector's do).
    const partitionOf = partitionerFor(config.kafka.partitions)
    expect(got.filter((m) => m.partition !== partitionOf(m.key))).toEqual([])
  })

  it('posts NDJSON batches to the collector, which accepts the valid lines and refuses the malformed ones', async () => {
    const config = testConfig()
    cleanupTopics(config)
    const registry = new Registry()
    const collector = buildCollector(config, { catalog, log, registry })
    await collector.start()
    onTestFinished(() => collector.stop())
    const app = await buildHttpApp(config, {
      log,
      registry,
      plugins: [collector.routes],
      readiness: () => ({ ready: true, details: {} }),
    })
    onTestFinished(() => app.close())
    const url = await app.listen({ host: '127.0.0.1', port: 0 })
    const sink = httpSink(url, log, { batchSize: 200 })
    await runSimulation(sim, sink, { speed: 'max' })
    await sink.close()
    const malformed = expected.filter((o) => o.kind === 'malformed').length
    expect(sink.tally).toEqual({ accepted: expected.length - malformed, rejected: malformed })
    expect(await topicSize(config)).toBe(expected.length - malformed)
  })

  it('paces realtime runs at wall-clock speed and caps the rate', async () => {
    const short: SimOptions = { ...sim, listeners: 20_000, durationMs: 3000, duplicates: 0, late: 0, malformed: 0 }
    const n = [...simulate(short)].length
    expect(n).toBeGreaterThan(5)
    const t0 = Date.now()
    const r = await runSimulation(short, fileSink(path.join(testConfig().home, 'rt.ndjson')), { speed: 'realtime' })
    expect(r.summary.emitted).toBe(n)
    const lastOffset = r.summary.lastAt - short.start
    expect(Date.now() - t0).toBeGreaterThanOrEqual(lastOffset - 50)
    const t1 = Date.now()
    await runSimulation(
      { ...short, durationMs: 3_600_000, listeners: 50 },
      fileSink(path.join(testConfig().home, 'cap.ndjson')),
      { speed: 'max', rate: 200 },
    )
    const capped = [...simulate({ ...short, durationMs: 3_600_000, listeners: 50 })].length
    expect(Date.now() - t1).toBeGreaterThanOrEqual((capped / 200) * 1000 * 0.8)
  })
})
