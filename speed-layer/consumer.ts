/**
 * The speed role's Kafka side: one member of the `speed` consumer group. State is rebuilt from the log, never from
 * committed offsets: on every assignment each gained partition is paused, sought to the first offset at the
 * oldest watermark it must hold (minus the dedup warm-up), replayed, and reported not ready until the engine has
 * counted up to the log end seen at assignment. Kept partitions continue where they were; revoked ones are dropped
 * whole. This thread only decodes batches and hands their bytes to the engine (engine.ts), a few batches ahead
 * (shared/consumer-runner.ts, shared with the archiver).
 * Invalid messages are only counted here (playcount_speed_rejected_total): the archiver owns the DLQ and writes
 * one letter per bad message (shared/dlq.ts).
 */
import type { Batch } from 'kafkajs'
import type { Registry } from 'prom-client'
import type { Config } from '../shared/config.ts'
import { ConsumerRunner } from '../shared/consumer-runner.ts'
import { packBatchFrom } from '../shared/fast/batch-packing.ts'
import { createKafka, groupId, topicOffsets, topicOffsetsAt } from '../shared/kafka.ts'
import type { Logger } from '../shared/logger.ts'
import type { EngineClient } from './engine-client.ts'
import type { BatchOutcome, EngineBatch } from './engine.ts'
import type { ResolvedSpeedOptions } from './options.ts'
import { PartitionState } from './partition-state.ts'
import type { SpeedTelemetry } from './telemetry.ts'
import type { WatermarkTracker } from './watermark.ts'
import type { SignalEmitter } from './signals/emitter.ts'

export interface SpeedConsumerDeps {
  engine: EngineClient
  log: Logger
  registry: Registry
  tracker: WatermarkTracker
  telemetry: SpeedTelemetry
  states: Map<number, PartitionState>
  opts: ResolvedSpeedOptions
  /** Sends the interest-rule signals the engine detects (absent: no rules). */
  signals?: SignalEmitter
}

/** Batches handed to the engine and not yet counted, at most (each is one fetch of one partition, up to 4 MiB). */
const MAX_IN_FLIGHT = 4

/** A batch on its way to the engine, and the partition state it advances once counted. */
interface Handed {
  st: PartitionState
  batch: EngineBatch
  read: number
  next: number
}

export class SpeedConsumer {
  /** Messages read (valid or not), for the events/s gauge. */
  read = 0
  private readonly runner: ConsumerRunner<Handed>
  private readonly topic: string
  private generation = 0
  private joined = false

  constructor(
    config: Readonly<Config>,
    private readonly deps: SpeedConsumerDeps,
  ) {
    this.topic = config.kafka.topic
    this.runner = new ConsumerRunner(
      createKafka(config, deps.log, 'speed'),
      {
        role: 'speed',
        topic: this.topic,
        groupId: groupId(config, 'speed'),
        maxInFlight: MAX_IN_FLIGHT,
        log: deps.log,
        registry: deps.registry,
        // A short fetch wait keeps stop() and rebalances quick; with data waiting a fetch returns at once anyway.
        consumer: { maxWaitTimeInMs: 500, maxBytes: 16 * 1024 * 1024, maxBytesPerPartition: 4 * 1024 * 1024 },
      },
      {
        onJoin: (m) => this.onJoin([...m.partitions]),
        onRebalancing: () => {
          this.joined = false
        },
        pack: (batch, isStale) => this.pack(batch, isStale),
        handOff: (h) =>
          this.deps.engine.ingest(h.batch).then(
            (o) => this.settle(h.st, o, h.next),
            (err: unknown) => this.engineFailed(err, h.st, h.read),
          ),
      },
    )
  }

  /** Joined the group and every assigned partition is sought (not necessarily caught up). */
  isJoined(): boolean {
    return this.joined
  }

  start(): Promise<void> {
    return this.runner.start()
  }

  async stop(): Promise<void> {
    this.generation++
    this.joined = false
    await this.runner.stop()
  }

  /** Refreshes each partition's log end (for the lag) between batches; an idle partition gets no batches. */
  async refreshEnds(): Promise<void> {
    const offsets = await this.runner.admin.fetchTopicOffsets(this.topic)
    for (const o of offsets) {
      const st = this.deps.states.get(o.partition)
      if (st) st.logEnd = Math.max(st.logEnd, Number(o.high))
    }
  }

  // Runs synchronously inside kafkajs's join, before its fetch loop starts: pausing here means no message of an
  // assigned partition is fetched before that partition is sought.
  private onJoin(assigned: number[]): void {
    const gen = ++this.generation
    this.joined = false
    if (assigned.length > 0) this.runner.consumer.pause([{ topic: this.topic, partitions: assigned }])
    for (const p of [...this.deps.states.keys()]) {
      if (!assigned.includes(p)) {
        this.deps.states.delete(p)
        this.deps.signals?.forget(p)
        this.deps.engine
          .revoke(p)
          .catch((err: unknown) =>
            this.deps.log.error({ err, partition: p }, 'the speed engine could not drop a revoked partition'),
          )
        this.deps.log.info({ partition: p }, 'partition revoked: its state is dropped')
      }
    }
    this.prepare(gen, assigned).catch((err: unknown) => {
      this.deps.log.error(
        { err, partitions: assigned },
        'could not seek the assigned partitions; they stay paused until the next rebalance',
      )
    })
  }

  private async prepare(gen: number, assigned: number[]): Promise<void> {
    const { states, tracker, opts, log } = this.deps
    const gained = assigned.filter((p) => !states.has(p))
    const heldFrom = tracker.holdFrom()
    const readFrom = heldFrom === 0 ? 0 : Math.max(0, heldFrom - opts.dedupWarmupMs)
    const { admin, consumer } = this.runner
    const ends = await topicOffsets(admin, this.topic, log)
    const starts =
      gained.length === 0
        ? []
        : readFrom === 0
          ? ends.map((o) => ({ partition: o.partition, offset: o.low }))
          : await topicOffsetsAt(admin, this.topic, readFrom, log)
    if (gen !== this.generation) return
    // Before any batch is replayed: the ids already sent for these partitions, so a re-detected crossing is not resent.
    await this.deps.signals?.prepare(gained, readFrom)
    if (gen !== this.generation) return
    for (const p of gained) {
      const end = Number(ends.find((o) => o.partition === p)?.high ?? 0)
      const start = Number(starts.find((o) => o.partition === p)?.offset ?? end)
      const st = new PartitionState({ partition: p, heldFrom, startOffset: start, endOffset: end })
      // Before any batch of p is handed over: the engine sees the assignment, then p's batches, in this order.
      this.deps.engine
        .assign(p, heldFrom)
        .catch((err: unknown) => log.error({ err, partition: p }, 'the speed engine could not start a partition'))
      states.set(p, st)
      log.info(
        { partition: p, heldFrom, readFrom, startOffset: start, endOffset: end },
        'partition assigned: rebuilding from the log',
      )
      if (st.ready) this.observeReady(st)
    }
    for (const p of assigned)
      consumer.seek({ topic: this.topic, partition: p, offset: String(states.get(p)!.readOffset) })
    if (assigned.length > 0) consumer.resume([{ topic: this.topic, partitions: assigned }])
    this.joined = true
  }

  /** The batch's messages not yet read, packed for the engine; the partition's read offset moves past them. */
  private pack(batch: Batch, isStale: () => boolean): Handed | undefined {
    const st = this.deps.states.get(batch.partition)
    if (st === undefined || !this.joined || isStale()) return undefined
    st.logEnd = Math.max(st.logEnd, Number(batch.highWatermark))
    const packed = packBatchFrom(batch.partition, batch.messages, st.readOffset)
    if (packed === undefined) return undefined
    const read = st.readOffset
    st.readOffset = packed.next
    return { st, batch: { ...packed.buffers, now: Date.now() }, read, next: packed.next }
  }

  /** Waits until every batch handed to the engine is counted (a rebalance, a stop). */
  settled(): Promise<void> {
    return this.runner.settled()
  }

  private settle(st: PartitionState, o: BatchOutcome, next: number): Promise<void> | undefined {
    const { telemetry } = this.deps
    // Sent in batch order; the batch is settled once they are acknowledged (or kept to be tried again).
    const { signals } = this.deps
    const sending =
      signals !== undefined && (o.signals.length > 0 || signals.pendingCount > 0) ? signals.send(o.signals) : undefined
    this.read += o.counted + o.duplicates + o.heldOut + o.rejections.length
    st.counted += o.counted
    st.duplicates += o.duplicates
    const wasReady = st.ready
    st.progress(next)
    if (!wasReady && st.ready) this.observeReady(st)
    telemetry.events.inc({ outcome: 'counted' }, o.counted)
    telemetry.events.inc({ outcome: 'duplicate' }, o.duplicates)
    telemetry.events.inc({ outcome: 'held_out' }, o.heldOut)
    if (o.rejections.length > 0) {
      telemetry.events.inc({ outcome: 'rejected' }, o.rejections.length)
      for (const r of o.rejections) telemetry.rejected.inc({ reason: r.issue.reason })
    }
    return sending
  }

  /** The engine thread is gone: its counts are lost, so the partitions rebuild from the log once a new engine runs. */
  private engineFailed(err: unknown, st: PartitionState, read: number): void {
    this.deps.log.error({ err, partition: st.partition, offset: read }, 'the speed engine failed a batch')
  }

  private observeReady(st: PartitionState): void {
    const seconds = (st.rebuildMs ?? 0) / 1000
    this.deps.telemetry.rebuild.observe(seconds)
    this.deps.log.info(
      { partition: st.partition, seconds, offset: st.nextOffset, counted: st.counted },
      'partition rebuilt and caught up',
    )
  }
}
