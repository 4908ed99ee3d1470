/**
 * The HTTP collector on 127.0.0.1 under autocannon (its own process): batches of 100 events as a JSON array,
 * each answered 202 only after Kafka acknowledged it. Sustained events/s and p99 latency. Baselines in the same
 * run and app: a no-op route that parses the same body and answers 202, and the collector with two idempotent
 * producer lanes (partitions split between them) beside the default single producer.
 *
 * Sizes: COLLECTOR_BENCH_SECONDS (10 per measurement), COLLECTOR_BENCH_CONNECTIONS (20).
 */
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { FastifyPluginAsync } from 'fastify'
import { Registry } from 'prom-client'
import { generateCatalog } from '../shared/catalog/generate.ts'
import { buildCollector } from '../ingest/collector/index.ts'
import { simulate } from '../tools/simulator/simulate.ts'
import { Catalog } from '../shared/catalog/catalog.ts'
import type { Config } from '../shared/config.ts'
import { buildHttpApp } from '../shared/http-app.ts'
import { createKafka } from '../shared/kafka.ts'
import { createLogger } from '../shared/logger.ts'
import type { BenchContext, BenchRow } from './types.ts'

const SECONDS = Number(process.env.COLLECTOR_BENCH_SECONDS ?? 10)
const CONNECTIONS = Number(process.env.COLLECTOR_BENCH_CONNECTIONS ?? 20)
const BATCH = 100
const here = path.dirname(fileURLToPath(import.meta.url))

interface Load {
  rps: number
  p50: number
  p99: number
  non2xx: number
  errors: number
}

async function autocannon(url: string, bodyFile: string, seconds: number): Promise<Load> {
  const bin = path.join(here, '..', 'node_modules', 'autocannon', 'autocannon.js')
  const args = [
    bin,
    '-c',
    String(CONNECTIONS),
    '-d',
    String(seconds),
    '-m',
    'POST',
    '-H',
    'content-type=application/json',
    '-i',
    bodyFile,
    '-j',
    url,
  ]
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 16 << 20 })
  const r = JSON.parse(stdout) as {
    requests: { average: number }
    latency: { p50: number; p99: number }
    non2xx: number
    errors: number
  }
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors }
}

const noop: FastifyPluginAsync = async (app) => {
  app.post('/bench/noop', async (req, reply) =>
    reply.code(202).send({ accepted: Array.isArray(req.body) ? req.body.length : 1, rejected: [] }),
  )
}

export default async function bench(ctx: BenchContext): Promise<BenchRow[]> {
  const topic = `bench-collector-${process.pid}`
  const config: Readonly<Config> = { ...ctx.config, kafka: { ...ctx.config.kafka, topic, dlqTopic: `${topic}.dlq` } }
  const g = generateCatalog({ artists: 200, songs: 2000, seed: 42 })
  const catalog = new Catalog(g.artists, g.songs)
  const events = []
  for (const o of simulate({
    catalog,
    listeners: 500,
    start: Date.now() - 7_200_000,
    durationMs: 3_600_000,
    seed: 1,
  })) {
    events.push(JSON.parse(o.line) as unknown)
    if (events.length === BATCH) break
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'collector-bench-'))
  const bodyFile = path.join(dir, 'body.json')
  fs.writeFileSync(bodyFile, JSON.stringify(events))

  const log = createLogger({ level: 'warn', name: 'bench' })
  const registry = new Registry()
  const collector = buildCollector(config, { catalog, log, registry })
  const lanes = buildCollector(config, { catalog, log, registry, producers: 2 })
  await collector.start()
  await lanes.start()
  const twoLanes: FastifyPluginAsync = async (app) => app.register(lanes.routes, { prefix: '/two-lanes' })
  const app = await buildHttpApp(config, {
    log,
    registry,
    plugins: [collector.routes, twoLanes, noop],
    readiness: () => ({ ready: true, details: {} }),
  })
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  let baseline: Load
  let measured: Load
  let two: Load
  try {
    await autocannon(`${base}/bench/noop`, bodyFile, 2)
    baseline = await autocannon(`${base}/bench/noop`, bodyFile, SECONDS)
    ctx.log(`no-op route: ${JSON.stringify(baseline)}`)
    await autocannon(`${base}/v1/events`, bodyFile, 2)
    measured = await autocannon(`${base}/v1/events`, bodyFile, SECONDS)
    ctx.log(`collector: ${JSON.stringify(measured)}`)
    await autocannon(`${base}/two-lanes/v1/events`, bodyFile, 2)
    two = await autocannon(`${base}/two-lanes/v1/events`, bodyFile, SECONDS)
    ctx.log(`collector, two producer lanes: ${JSON.stringify(two)}`)
  } finally {
    await app.close()
    await collector.stop()
    await lanes.stop()
    fs.rmSync(dir, { recursive: true, force: true })
    const admin = createKafka(config).admin()
    await admin.connect()
    await admin
      .deleteTopics({ topics: [config.kafka.topic, config.kafka.dlqTopic] })
      .catch((err: unknown) => ctx.log(`topic cleanup: ${String(err)}`))
    await admin.disconnect()
  }
  const eps = measured.rps * BATCH
  const baseEps = baseline.rps * BATCH
  return [
    {
      bench: 'collector',
      measure: `no-op route, same app and body (${BATCH}/request, ${CONNECTIONS} conns), events/s`,
      value: baseEps,
      unit: 'events/s',
    },
    { bench: 'collector', measure: 'no-op route p99', value: baseline.p99, unit: 'ms' },
    {
      bench: 'collector',
      measure: `POST /v1/events, ${BATCH} events/request, 202 after Kafka ack, events/s`,
      value: eps,
      unit: 'events/s',
      baseline: baseEps,
      ratio: eps / baseEps,
    },
    { bench: 'collector', measure: 'POST /v1/events p50', value: measured.p50, unit: 'ms' },
    {
      bench: 'collector',
      measure: 'POST /v1/events p99',
      value: measured.p99,
      unit: 'ms',
      baseline: baseline.p99,
      ratio: measured.p99 / Math.max(1, baseline.p99),
    },
    {
      bench: 'collector',
      measure: 'POST /v1/events, two producer lanes, events/s',
      value: two.rps * BATCH,
      unit: 'events/s',
      baseline: eps,
      ratio: (two.rps * BATCH) / eps,
    },
    {
      bench: 'collector',
      measure: 'POST /v1/events, two producer lanes, p99',
      value: two.p99,
      unit: 'ms',
      baseline: measured.p99,
      ratio: two.p99 / Math.max(1, measured.p99),
    },
    {
      bench: 'collector',
      measure: 'non-2xx answers + errors',
      value: measured.non2xx + measured.errors + two.non2xx + two.errors,
      unit: 'responses',
      target: '0',
      met: measured.non2xx + measured.errors + two.non2xx + two.errors === 0,
    },
  ]
}
