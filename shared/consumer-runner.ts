/**
 * The consuming side both Kafka roles share (the speed layer and the archiver): group membership, each batch packed
 * on the consuming thread and handed to the role's worker thread, a bounded number of batches in flight, and the
 * metrics of both. What a role does with a batch stays the role's: `pack` turns a kafkajs batch into what its
 * worker takes (shared/fast/batch-packing.ts), `handOff` sends it and applies the answer.
 *
 * kafkajs costs most of a core per message here, so the consuming thread does nothing else; the worker validates
 * while the next batch is decoded. At most `maxInFlight` batches are handed off and not yet applied: the consuming
 * thread waits for the oldest beyond that, which is the one backpressure policy of both roles (batches are applied
 * in the order handed off, so the oldest is the next to finish).
 */
import type { Admin, Batch, Consumer, ConsumerConfig, Kafka } from 'kafkajs'
import { Counter, Gauge, type Registry } from 'prom-client'
import type { Logger } from './logger.ts'
import { registered } from './telemetry.ts'

/** This member's id and partitions of the topic from its last group join. */
export interface Membership {
  memberId: string
  partitions: Set<number>
}

export interface RunnerHooks<T> {
  /**
   * Runs synchronously inside kafkajs's join, before its fetch loop starts: partitions paused here are not fetched
   * before the role has decided where to read them from.
   */
  onJoin(membership: Membership): void
  onRebalancing?(): void
  /** Packs a batch on the consuming thread; undefined skips it. */
  pack(batch: Batch, isStale: () => boolean): T | undefined
  /** Hands the packed batch to the worker and applies its answer; resolves once applied (a failure is the role's). */
  handOff(packed: T): Promise<void>
}

export interface RunnerOptions {
  /** `speed` or `archiver`: the label of the metrics and of the log lines. */
  role: string
  topic: string
  groupId: string
  /** Batches handed off and not yet applied, at most (each is one fetch of one partition, up to 4 MiB of values). */
  maxInFlight: number
  consumer: Omit<ConsumerConfig, 'groupId'>
  log: Logger
  registry: Registry
}

interface RunnerTelemetry {
  messages: Counter<'role'>
  inFlight: Gauge<'role'>
}

/** One set of metrics per registry, labelled by role: both roles may run in one process. */
function runnerTelemetry(registry: Registry): RunnerTelemetry {
  const registers = [registry]
  return {
    messages: registered(
      registry,
      'playcount_consumer_messages_total',
      () =>
        new Counter({
          name: 'playcount_consumer_messages_total',
          help: 'messages read from Kafka and handed to the worker, by role',
          labelNames: ['role'],
          registers,
        }),
    ),
    inFlight: registered(
      registry,
      'playcount_consumer_batches_in_flight',
      () =>
        new Gauge({
          name: 'playcount_consumer_batches_in_flight',
          help: 'batches handed to the worker and not yet applied, by role',
          labelNames: ['role'],
          registers,
        }),
    ),
  }
}

export class ConsumerRunner<T> {
  readonly admin: Admin
  readonly consumer: Consumer
  /** Messages handed off so far. */
  messages = 0
  private membershipNow: Membership | undefined
  private readonly inFlight: Array<Promise<void>> = []
  private readonly telemetry: RunnerTelemetry
  private lastHeartbeat: (() => Promise<void>) | undefined

  constructor(
    kafka: Kafka,
    private readonly opts: RunnerOptions,
    private readonly hooks: RunnerHooks<T>,
  ) {
    this.admin = kafka.admin()
    this.consumer = kafka.consumer({ ...opts.consumer, groupId: opts.groupId })
    this.telemetry = runnerTelemetry(opts.registry)
  }

  /** This member's partitions from the last join (undefined before the first one). */
  get membership(): Membership | undefined {
    return this.membershipNow
  }

  /** Connects, then joins the group; `prepare` runs between (e.g. creating the topics). */
  async start(prepare: (admin: Admin) => Promise<void> = async () => {}): Promise<void> {
    const { consumer, opts, hooks } = this
    await this.admin.connect()
    await prepare(this.admin)
    const { REBALANCING, GROUP_JOIN, CRASH } = consumer.events
    consumer.on(REBALANCING, () => hooks.onRebalancing?.())
    consumer.on(GROUP_JOIN, ({ payload }) => {
      this.membershipNow = {
        memberId: payload.memberId,
        partitions: new Set(payload.memberAssignment[opts.topic] ?? []),
      }
      hooks.onJoin(this.membershipNow)
    })
    consumer.on(CRASH, (e) =>
      opts.log.error({ err: e.payload.error, restart: e.payload.restart, role: opts.role }, 'consumer crashed'),
    )
    await consumer.connect()
    await consumer.subscribe({ topic: opts.topic, fromBeginning: true })
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: ({ batch, heartbeat, isStale }) => this.eachBatch(batch, heartbeat, isStale),
    })
  }

  /** Leaves the group (waiting for the batch being handed off) and disconnects; the worker is the role's to close. */
  async stop(): Promise<void> {
    await this.consumer.disconnect()
    await this.admin.disconnect()
  }

  /** Keeps the membership alive while the role waits on something slow (the last batch's heartbeat). */
  heartbeat(): Promise<void> {
    return this.lastHeartbeat?.() ?? Promise.resolve()
  }

  /** Resolves once every batch handed off so far is applied. */
  async settled(): Promise<void> {
    while (this.inFlight.length > 0) await this.inFlight.shift()
  }

  private async eachBatch(batch: Batch, heartbeat: () => Promise<void>, isStale: () => boolean): Promise<void> {
    this.lastHeartbeat = heartbeat
    const packed = this.hooks.pack(batch, isStale)
    if (packed !== undefined) {
      const { role, log } = this.opts
      this.messages += batch.messages.length
      this.telemetry.messages.inc({ role }, batch.messages.length)
      this.telemetry.inFlight.inc({ role })
      const applied = this.hooks
        .handOff(packed)
        .catch((err: unknown) => log.error({ err, role, partition: batch.partition }, 'a batch handed off failed'))
        .finally(() => this.telemetry.inFlight.dec({ role }))
      this.inFlight.push(applied)
    }
    while (this.inFlight.length >= this.opts.maxInFlight) await this.inFlight.shift()
    await heartbeat()
  }
}
