/**
 * The speed role's Kafka side: one member of the `speed` consumer group. State is rebuilt from the log, never from
 * committed offsets: on every assignment each gained partition is paused, sought to the first offset at the
 * oldest watermark it must hold (minus the dedup warm-up), replayed, and reported not ready until the engine has
 * counted up to the log end seen at assignment. Kept partitions continue where they were; revoked ones are dropped
 * whole. This thread only decodes batches and hands their bytes to the engine (engine.ts), a few batches ahead.
 * Invalid messages are only counted here (playcount_speed_rejected_total): the archiver owns the DLQ and writes
 * one letter per bad message (shared/dlq.ts).
 */
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs'
import type { Config } from '../shared/config.ts'
import { createKafka, groupId } from '../shared/kafka.ts'
import type { Logger } from '../shared/logger.ts'
import { withRetry } from '../shared/retry.ts'
import type { EngineClient } from './engine-client.ts'
import { encodeBatch } from './batch-encoding.ts'
import type { BatchOutcome } from './engine.ts'
import type { ResolvedSpeedOptions } from './options.ts'
import { PartitionState } from './partition-state.ts'
import type { SpeedTelemetry } from './telemetry.ts'
import type { WatermarkTracker } from './watermark.ts'
import type { SignalEmitter } from './signals/emitter.ts'

export interface SpeedConsumerDeps {
  engine: EngineClient
  log: Logger
  tracker: WatermarkTracker
  telemetry: SpeedTelemetry
  states: Map<number, PartitionState>
  opts: ResolvedSpeedOptions
  /** Sends the interest-rule signals the engine detects (absent: no rules). */
  signals?: SignalEmitter
}

/** Batches handed to the engine and not yet counted, at most (each is one fetch of one partition, up to 4 MB). */
const MAX_IN_FLIGHT = 4

export class SpeedConsumer {
  /** Messages read (valid or not), for the events/s gauge. */
  read = 0
  private readonly kafka: Kafka
  private readonly admin: Admin
  private readonly consumer: Consumer
  private readonly topic: string
  private generation = 0
  private joined = false
  private inFlight: Array<Promise<void>> = []

  constructor(config: Readonly<Config>, private readonly deps: SpeedConsumerDeps) {
    this.kafka = createKafka(config, deps.log, 'speed')
    this.topic = config.kafka.topic
    this.admin = this.kafka.admin()
    // A short fetch wait keeps stop() and rebalances quick; with data waiting a fetch returns at once anyway.
    this.consumer = this.kafka.consumer({ groupId: groupId(config, 'speed'), maxWaitTimeInMs: 500, maxBytes: 16 * 1024 * 1024, maxBytesPerPartition: 4 * 1024 * 1024 })
  }

  /** Joined the group and every assigned partition is sought (not necessarily caught up). */
  isJoined(): boolean {
    return this.joined
  }

  async start(): Promise<void> {
    await this.admin.connect()
    await this.consumer.connect()
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true })
    const { REBALANCING, GROUP_JOIN, CRASH } = this.consumer.events
    this.consumer.on(REBALANCING, () => {
      this.joined = false
    })
    this.consumer.on(GROUP_JOIN, (e) => this.onJoin(e.payload.memberAssignment[this.topic] ?? []))
    this.consumer.on(CRASH, (e) => this.deps.log.error({ err: e.payload.error, restart: e.payload.restart }, 'speed consumer crashed'))
    await this.consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (p) => this.eachBatch(p),
    })
  }

  async stop(): Promise<void> {
    this.generation++
    this.joined = false
    await this.consumer.disconnect()
    await this.admin.disconnect()
  }

  /** Refreshes each partition's log end (for the lag) between batches; an idle partition gets no batches. */
  async refreshEnds(): Promise<void> {
    const offsets = await this.admin.fetchTopicOffsets(this.topic)
    for (const o of offsets) {
      const st = this.deps.states.get(o.partition)
      if (st) st.highWatermark = Math.max(st.highWatermark, Number(o.high))
    }
  }

  // Runs synchronously inside kafkajs's join, before its fetch loop starts: pausing here means no message of an
  // assigned partition is fetched before that partition is sought.
  private onJoin(assigned: number[]): void {
    const gen = ++this.generation
    this.joined = false
    if (assigned.length > 0) this.consumer.pause([{ topic: this.topic, partitions: assigned }])
    for (const p of [...this.deps.states.keys()]) {
      if (!assigned.includes(p)) {
        this.deps.states.delete(p)
        this.deps.signals?.forget(p)
        this.deps.engine.revoke(p).catch((err: unknown) => this.deps.log.error({ err, partition: p }, 'the speed engine could not drop a revoked partition'))
        this.deps.log.info({ partition: p }, 'partition revoked: its state is dropped')
      }
    }
    this.prepare(gen, assigned).catch((err: unknown) => {
      this.deps.log.error({ err, partitions: assigned }, 'could not seek the assigned partitions; they stay paused until the next rebalance')
    })
  }

  private async prepare(gen: number, assigned: number[]): Promise<void> {
    const { states, tracker, opts, log } = this.deps
    const gained = assigned.filter((p) => !states.has(p))
    const heldFrom = tracker.holdFrom()
    const readFrom = heldFrom === 0 ? 0 : Math.max(0, heldFrom - opts.dedupWarmupMs)
    const what = `offsets of ${this.topic}`
    const ends = await withRetry(() => this.admin.fetchTopicOffsets(this.topic), { what, log })
    const starts = gained.length === 0 ? [] : readFrom === 0
      ? ends.map((o) => ({ partition: o.partition, offset: o.low }))
      : await withRetry(() => this.admin.fetchTopicOffsetsByTimestamp(this.topic, readFrom), { what, log })
    if (gen !== this.generation) return
    // Before any batch is replayed: the ids already sent for these partitions, so a re-detected crossing is not resent.
    await this.deps.signals?.prepare(gained, readFrom)
    if (gen !== this.generation) return
    for (const p of gained) {
      const end = Number(ends.find((o) => o.partition === p)?.high ?? 0)
      const start = Number(starts.find((o) => o.partition === p)?.offset ?? end)
      const st = new PartitionState({ partition: p, heldFrom, startOffset: start, endOffset: end })
      // Before any batch of p is handed over: the engine sees the assignment, then p's batches, in this order.
      this.deps.engine.assign(p, heldFrom).catch((err: unknown) => log.error({ err, partition: p }, 'the speed engine could not start a partition'))
      states.set(p, st)
      log.info({ partition: p, heldFrom, readFrom, startOffset: start, endOffset: end }, 'partition assigned: rebuilding from the log')
      if (st.ready) this.observeReady(st)
    }
    for (const p of assigned) this.consumer.seek({ topic: this.topic, partition: p, offset: String(states.get(p)!.readOffset) })
    if (assigned.length > 0) this.consumer.resume([{ topic: this.topic, partitions: assigned }])
    this.joined = true
  }

  private async eachBatch({ batch, heartbeat, isStale }: EachBatchPayload): Promise<void> {
    const st = this.deps.states.get(batch.partition)
    if (st === undefined || !this.joined || isStale()) return
    const encoded = encodeBatch(batch.partition, batch.messages, st.readOffset)
    if (encoded !== undefined) {
      const read = st.readOffset
      st.readOffset = encoded.next
      const outcome = this.deps.engine.ingest(encoded.batch)
      this.inFlight.push(outcome.then((o) => this.settle(st, o, encoded.next), (err: unknown) => this.engineFailed(err, st, read)))
      st.highWatermark = Math.max(st.highWatermark, Number(batch.highWatermark))
    }
    // The engine counts on its own thread while this one decodes the next batches; a few batches ahead at most.
    while (this.inFlight.length > MAX_IN_FLIGHT) await this.inFlight.shift()
    await heartbeat()
  }

  /** Waits until every batch handed to the engine is counted (a rebalance, a stop). */
  async settled(): Promise<void> {
    while (this.inFlight.length > 0) await this.inFlight.shift()
  }

  private settle(st: PartitionState, o: BatchOutcome, next: number): Promise<void> | undefined {
    const { telemetry } = this.deps
    // Sent in batch order; the batch is settled once they are acknowledged (or kept to be tried again).
    const { signals } = this.deps
    const sending = signals !== undefined && (o.signals.length > 0 || signals.pendingCount > 0) ? signals.send(o.signals) : undefined
    this.read += o.counted + o.duplicates + o.heldOut + o.rejected.length
    st.counted += o.counted
    st.duplicates += o.duplicates
    const wasReady = st.ready
    st.progress(next)
    if (!wasReady && st.ready) this.observeReady(st)
    telemetry.events.inc({ outcome: 'counted' }, o.counted)
    telemetry.events.inc({ outcome: 'duplicate' }, o.duplicates)
    telemetry.events.inc({ outcome: 'held_out' }, o.heldOut)
    if (o.rejected.length > 0) {
      telemetry.events.inc({ outcome: 'rejected' }, o.rejected.length)
      for (const l of o.rejected) telemetry.rejected.inc({ reason: l.issue.reason })
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
    this.deps.log.info({ partition: st.partition, seconds, offset: st.nextOffset, counted: st.counted }, 'partition rebuilt and caught up')
  }
}
