/**
 * The demo's history: days of simulated listening that the batch layer has already archived and computed, so the
 * dashboard opens on batch bars for the past days with today's realtime part on top (docs/ARCHITECTURE.md
 * "Watermark and the merge rule").
 *
 * Why not simply produce the history into the topic: the topic stamps each message with its arrival
 * (LogAppendTime), so a month of events produced now all ARRIVE in the current hour, which is at or after the
 * watermark W; the batch views hold only what arrived before W, and the whole month would be counted as realtime.
 * The archive is partitioned by arrival hour for good reasons (late events restated, W exact), so the history must
 * really have arrived in the past. It does, through a backfill topic created with CreateTime: each message's
 * timestamp is the moment its simulated listener sent it, the real archiver drains that topic into the arrival hours
 * they fall in, and the backfill topic is then deleted. In order:
 *  1. drain the (empty) live topic: every partition's hours are complete up to W = the current hour, less the
 *     archiver's grace (ARCHIVE_GRACE_MS); the history ends at W, so it holds no arrival the live topic can hold;
 *  2. simulate DAYS of listening before W into the backfill topic;
 *  3. drain the backfill topic into the lake (files in the past arrival hours, all before W);
 *  4. run the batch: W stays the live topic's, every history file is below it, every history day is recomputed.
 * When step 1 finds events on the live topic (the lake was deleted, Kafka's data was not), they are the history:
 * they are archived and computed, and nothing is simulated (their files would share hours and partition numbers).
 * The speed layer then counts live arrivals from W on, and no event is in both parts or in neither.
 */
import { Partitioners, type Admin, type Message } from 'kafkajs'
import type { Registry } from 'prom-client'
import { buildArchiver, type DrainSummary } from '../batch-layer/archiver/index.ts'
import { readManifest } from '../batch-layer/nightly/manifest.ts'
import { readArchiveWatermark } from '../batch-layer/nightly/plan.ts'
import { runBatch, type RunSummary } from '../batch-layer/nightly/run.ts'
import { BATCH_STAGES } from '../batch-layer/nightly/types.ts'
import { simulate } from '../tools/simulator/simulate.ts'
import { Pipeline } from '../tools/simulator/pipeline.ts'
import type { Catalog } from '../shared/catalog/catalog.ts'
import type { Config } from '../shared/config.ts'
import { Errors } from '../shared/errors.ts'
import { createKafka, createTopicsAndWait, groupId } from '../shared/kafka.ts'
import type { Lake } from '../shared/lake.ts'
import { DAY_MS, HOUR_MS } from '../shared/layout.ts'
import type { Logger } from '../shared/logger.ts'
import { withRetry } from '../shared/retry.ts'
import { createRegistry } from '../shared/telemetry.ts'
import { runStep, type Update } from './steps.ts'

/** About 7,000 events a simulated day: 30 days are ~210,000 events, laid down in well under a minute. */
export const HISTORY_LISTENERS = 100
/** Same history for the same W, run after run. */
const HISTORY_SEED = 1
/**
 * One partition: the backfill's files are one per arrival hour (30 days: 720) instead of one per hour and
 * partition; a listener's events still share a partition, which is what the batch needs.
 */
const HISTORY_PARTITIONS = 1

export interface HistoryDeps {
  catalog: Catalog
  lake: Lake
  log: Logger
}

export interface HistoryResult {
  events: number
  watermark: number
  run: RunSummary | undefined
}

/** The config of the backfill topic: same lake, same everything, another topic. */
function backfillConfig(config: Readonly<Config>): Readonly<Config> {
  const topic = `${config.kafka.topic}.history`
  return { ...config, kafka: { ...config.kafka, topic, dlqTopic: `${topic}.dlq`, partitions: HISTORY_PARTITIONS } }
}

/** Whether the lake already has an archive or views: the history is laid down once, on an empty lake. */
export async function lakeHasHistory(lake: Lake): Promise<boolean> {
  return (await readManifest(lake)) !== undefined || (await lake.list('events/')).length > 0
}

async function archiverRows(registry: Registry): Promise<number> {
  const metric = await registry.getSingleMetric('playcount_archiver_rows_total')?.get()
  return metric?.values[0]?.value ?? 0
}

/** Drains `config`'s topic with the real archiver, the bar following the rows it made durable. */
async function drain(config: Readonly<Config>, deps: HistoryDeps, update: Update): Promise<DrainSummary> {
  const registry = createRegistry()
  const archiver = buildArchiver(config, { ...deps, registry })
  const poll = setInterval(() => {
    void archiverRows(registry).then((rows) => update(rows))
  }, 250)
  try {
    return await archiver.drain()
  } finally {
    clearInterval(poll)
    await archiver.stop()
  }
}

/** Step 2: the simulated listeners' events into the backfill topic, each stamped with its simulated arrival. */
async function simulateInto(
  config: Readonly<Config>,
  deps: HistoryDeps,
  window: { start: number; end: number },
  update: Update,
): Promise<number> {
  const kafka = createKafka(config, deps.log, 'history')
  const admin = kafka.admin()
  await admin.connect()
  // One send at a time: concurrent sends can be appended out of order, and the timestamps are arrivals, which the
  // archiver expects to move forward within a partition (a send retried alone may duplicate, never reorder).
  const producer = kafka.producer({
    idempotent: false,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  })
  try {
    await removeLeftover(admin, config)
    await createTopicsAndWait(admin, [
      {
        topic: config.kafka.topic,
        numPartitions: HISTORY_PARTITIONS,
        replicationFactor: 1,
        // CreateTime: the broker keeps the timestamp the producer gives, the simulated arrival. No retention by time:
        // every timestamp is days old, and the topic lives only until it is archived.
        configEntries: [
          { name: 'message.timestamp.type', value: 'CreateTime' },
          { name: 'retention.ms', value: '-1' },
        ],
      },
    ])
    await producer.connect()
    const pipeline = new Pipeline<Message>(
      5000,
      async (messages) => {
        await producer.send({ topic: config.kafka.topic, acks: -1, messages })
      },
      1,
    )
    let events = 0
    for (const out of simulate({
      catalog: deps.catalog,
      listeners: HISTORY_LISTENERS,
      start: window.start,
      durationMs: window.end - window.start,
      seed: HISTORY_SEED,
    })) {
      if (out.at >= window.end) continue
      const pending = pipeline.add({ key: out.key, value: out.line, timestamp: String(out.at) })
      if (pending) await pending
      if ((++events & 4095) === 0) update(Math.floor((out.at - window.start) / HOUR_MS))
    }
    await pipeline.flush()
    return events
  } finally {
    await producer.disconnect()
    await admin.disconnect()
  }
}

/** A backfill topic left by a run that stopped half-way (its archive was not kept: the lake had no history). */
async function removeLeftover(admin: Admin, config: Readonly<Config>): Promise<void> {
  const leftover = (await admin.listTopics()).filter((t) => t === config.kafka.topic || t === config.kafka.dlqTopic)
  if (leftover.length === 0) return
  await admin.deleteTopics({ topics: leftover })
  await withRetry(
    async () => {
      const still = (await admin.listTopics()).filter((t) => leftover.includes(t))
      if (still.length > 0) throw new Errors.KAFKA_UNAVAILABLE(`topics ${still.join(', ')} are still being deleted`)
    },
    { what: 'waiting for the old backfill topic to go', retries: 30, maxTimeoutMs: 1000 },
  )
}

async function deleteBackfill(config: Readonly<Config>, log: Logger): Promise<void> {
  const admin = createKafka(config, log, 'history').admin()
  await admin.connect()
  try {
    await admin.deleteTopics({ topics: [config.kafka.topic, config.kafka.dlqTopic] })
    await admin.deleteGroups([groupId(config, 'archiver')])
  } catch (err) {
    log.warn({ err, topic: config.kafka.topic }, 'could not delete the backfill topic; it is not read again')
  } finally {
    await admin.disconnect()
  }
}

/** Lays down `days` of history before the live topic's watermark, with one progress bar and line per step. */
export async function layDownHistory(
  config: Readonly<Config>,
  deps: HistoryDeps,
  days: number,
): Promise<HistoryResult> {
  const backfill = backfillConfig(config)
  const live = await runStep(
    {
      title: 'watermark of the live topic',
      total: 1,
      unit: 'drain',
      summary: (r: { w: number; rows: number }) =>
        `W = ${new Date(r.w).toISOString().slice(0, 16).replace('T', ' ')} UTC` +
        (r.rows > 0 ? `, ${r.rows.toLocaleString('en-US')} events already on the topic archived` : ''),
    },
    async (update) => {
      const { rows } = await drain(config, deps, update)
      return { w: await readArchiveWatermark(config, deps.lake), rows }
    },
  )
  let events = 0
  if (live.rows > 0) {
    // The topic's own past would share arrival hours (and partition numbers) with the backfill's files: the lake
    // holds real history already, so none is simulated.
    console.log('  history not simulated: the topic already holds events, archived above')
  } else {
    const window = { start: live.w - days * DAY_MS, end: live.w }
    events = await runStep(
      {
        title: `simulating ${days} days`,
        total: days * 24,
        unit: 'hours',
        summary: (n: number) =>
          `${n.toLocaleString('en-US')} events from ${HISTORY_LISTENERS} listeners into ${backfill.kafka.topic}`,
      },
      (update) => simulateInto(backfill, deps, window, update),
    )
    await runStep(
      {
        title: 'archiving to the lake',
        total: events,
        unit: 'events',
        summary: (s: DrainSummary) => `${s.rows.toLocaleString('en-US')} events in ${s.files} hourly files`,
      },
      (update) => drain(backfill, deps, update),
    )
    await deleteBackfill(backfill, deps.log)
  }
  const run = await runStep(
    {
      title: 'batch run',
      total: BATCH_STAGES.length,
      unit: 'stages',
      summary: (r: RunSummary) =>
        `${r.daysRecomputed.length} days recomputed from ${r.rowsRead.toLocaleString('en-US')} events, ` +
        `W = ${new Date(r.watermarkAfter).toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    },
    (update) =>
      runBatch(
        config,
        { lake: deps.lake, log: deps.log },
        {
          trigger: 'cli',
          waitForLockMs: 60_000,
          onProgress: (p) =>
            update(
              BATCH_STAGES.indexOf(p.stage) + 1,
              p.done === undefined ? p.stage : `${p.stage} ${p.done}/${p.total ?? '?'}`,
            ),
        },
      ),
  )
  return { events, watermark: live.w, run }
}
