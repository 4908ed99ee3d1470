/**
 * The consuming thread's side of the interest rules: sends what the engine detected to `<topic>.signals`, and never
 * sends an id twice (docs/ARCHITECTURE.md#signals). A signal goes to the signals partition of the events partition
 * it was detected in (the topic is created with as many partitions; keyed by listener), so a partition's signals
 * are found in one place. When the speed layer gains a partition it rebuilds it from the log and re-detects the
 * crossings of the replayed range; before that replay starts, `prepare` reads back the ids already in the signals
 * partition from a little before the replayed range, and a detected signal whose id was sent is dropped.
 */
import crypto from 'node:crypto'
import type { Admin, Kafka, Producer } from 'kafkajs'
import { Counter, type Registry } from 'prom-client'
import type { Config } from '../../shared/config.ts'
import { Errors } from '../../shared/errors.ts'
import { groupId, topicOffsets, topicOffsetsAt } from '../../shared/kafka.ts'
import type { Logger } from '../../shared/logger.ts'
import { withRetry } from '../../shared/retry.ts'
import type { Signal } from '../../shared/signals.ts'

const READBACK_TIMEOUT_MS = 60_000

/** Ids known to be in the topic, per events partition: id → the window's end (to forget closed windows). */
type SentIds = Map<string, number>

export class SignalEmitter {
  private readonly producer: Producer
  private readonly admin: Admin
  private readonly topic: string
  private readonly sent = new Map<number, SentIds>()
  private readonly newest = new Map<number, number>()
  private pending: Signal[] = []
  private chain: Promise<void> = Promise.resolve()
  private signalPartitions = 0
  private readonly counter: Counter<'outcome'>

  /** `keepMs`: how long after a window ends its id is remembered (the longest window plus lateness of the rules). */
  constructor(
    private readonly config: Readonly<Config>,
    private readonly kafka: Kafka,
    private readonly log: Logger,
    registry: Registry,
    private readonly keepMs: number,
  ) {
    this.topic = config.kafka.signalsTopic
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false })
    this.admin = kafka.admin()
    this.counter = new Counter({
      name: 'playcount_speed_signals_total',
      registers: [registry],
      labelNames: ['outcome'],
      help: 'interest-rule signals detected: sent, or suppressed because their id is already in the signals topic',
    })
  }

  async start(): Promise<void> {
    await this.admin.connect()
    await this.producer.connect()
    const meta = await withRetry(() => this.admin.fetchTopicMetadata({ topics: [this.topic] }), {
      what: `metadata of ${this.topic}`,
      log: this.log,
    })
    this.signalPartitions = meta.topics[0]?.partitions.length ?? 1
  }

  async stop(): Promise<void> {
    await this.chain
    await this.producer.disconnect()
    await this.admin.disconnect()
  }

  /** The signals partition of an events partition. */
  partitionOf(eventsPartition: number): number {
    return eventsPartition % this.signalPartitions
  }

  forget(eventsPartition: number): void {
    this.sent.delete(eventsPartition)
    this.newest.delete(eventsPartition)
  }

  /**
   * Reads back the ids of the signals of these events partitions that the topic holds from arrival time `since`
   * `readFrom` minus the ids' keep time (0: from the start of the retained log). Must finish before any batch of
   * these partitions is replayed.
   */
  async prepare(partitions: number[], readFrom: number): Promise<void> {
    if (partitions.length === 0) return
    const since = readFrom === 0 ? 0 : Math.max(1, readFrom - this.keepMs)
    const ends = await topicOffsets(this.admin, this.topic, this.log)
    const starts =
      since === 0
        ? ends.map((o) => ({ partition: o.partition, offset: o.low }))
        : await topicOffsetsAt(this.admin, this.topic, since, this.log)
    const wanted = new Set(partitions)
    const ranges = new Map<number, { from: number; to: number }>()
    for (const p of new Set(partitions.map((e) => this.partitionOf(e)))) {
      const to = Number(ends.find((o) => o.partition === p)?.high ?? 0)
      const found = Number(starts.find((o) => o.partition === p)?.offset ?? -1)
      const from = found < 0 ? to : found
      if (from < to) ranges.set(p, { from, to })
    }
    for (const p of partitions) this.sent.set(p, new Map())
    if (ranges.size > 0)
      await this.readBack(ranges, (s) => {
        if (wanted.has(s.partition)) this.remember(s)
      })
    this.log.info(
      { partitions, since, ids: partitions.reduce((n, p) => n + (this.sent.get(p)?.size ?? 0), 0) },
      'signal ids read back',
    )
  }

  /** Signals whose send failed, waiting for the next call of `send`. */
  get pendingCount(): number {
    return this.pending.length
  }

  /** Sends the signals not sent yet, in order; a failed send is kept and tried again with the next call. */
  send(signals: Signal[]): Promise<void> {
    this.chain = this.chain.then(() => this.flush(signals))
    return this.chain
  }

  private async flush(signals: Signal[]): Promise<void> {
    for (const s of signals) {
      if (this.sent.get(s.partition)?.has(s.id) === true) this.counter.inc({ outcome: 'suppressed' })
      else this.pending.push(s)
    }
    if (this.pending.length === 0) return
    const batch = this.pending
    try {
      await withRetry(
        () =>
          this.producer.send({
            topic: this.topic,
            messages: batch.map((s) => ({
              key: s.listener,
              value: JSON.stringify(s),
              partition: this.partitionOf(s.partition),
            })),
          }),
        { what: 'signal send', log: this.log, retries: 4 },
      )
      this.pending = []
      for (const s of batch) this.remember(s)
      this.counter.inc({ outcome: 'sent' }, batch.length)
    } catch (err) {
      this.log.error({ err, pending: this.pending.length }, 'signals not sent yet; retrying with the next batch')
    }
  }

  private remember(s: Signal): void {
    let ids = this.sent.get(s.partition)
    if (ids === undefined) this.sent.set(s.partition, (ids = new Map()))
    ids.set(s.id, s.windowEnd)
    const newest = Math.max(this.newest.get(s.partition) ?? 0, s.lastTs)
    this.newest.set(s.partition, newest)
    // Amortised: every 4096 ids, forget those of windows that no event can reach any more.
    if (ids.size % 4096 === 0) for (const [id, end] of ids) if (end + this.keepMs < newest) ids.delete(id)
  }

  /** Reads the signals partitions' given offset ranges with a short-lived consumer of its own group. */
  private async readBack(ranges: Map<number, { from: number; to: number }>, each: (s: Signal) => void): Promise<void> {
    const group = `${groupId(this.config, 'speed')}.signals-readback.${crypto.randomBytes(6).toString('hex')}`
    const consumer = this.kafka.consumer({ groupId: group, maxWaitTimeInMs: 200 })
    const left = new Set(ranges.keys())
    let done!: () => void
    const finished = new Promise<void>((resolve) => {
      done = resolve
    })
    try {
      await consumer.connect()
      await consumer.subscribe({ topic: this.topic, fromBeginning: true })
      consumer.on(consumer.events.GROUP_JOIN, () => {
        const others = Array.from({ length: this.signalPartitions }, (_, p) => p).filter((p) => !ranges.has(p))
        if (others.length > 0) consumer.pause([{ topic: this.topic, partitions: others }])
        for (const [p, r] of ranges) consumer.seek({ topic: this.topic, partition: p, offset: String(r.from) })
      })
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const r = ranges.get(batch.partition)
          if (r === undefined) return
          for (const m of batch.messages) {
            if (Number(m.offset) < r.from || Number(m.offset) >= r.to || m.value === null) continue
            each(JSON.parse(m.value.toString('utf8')) as Signal)
          }
          const last = batch.messages.at(-1)
          if (last !== undefined && Number(last.offset) + 1 >= r.to && left.delete(batch.partition) && left.size === 0)
            done()
        },
      })
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Errors.KAFKA_UNAVAILABLE(`reading back ${this.topic} took over ${READBACK_TIMEOUT_MS} ms`)),
          READBACK_TIMEOUT_MS,
        )
      })
      await Promise.race([finished, timeout]).finally(() => clearTimeout(timer))
    } finally {
      await consumer.disconnect()
      await this.admin
        .deleteGroups([group])
        .catch((err: unknown) => this.log.debug({ err, group }, 'could not delete the read-back group'))
    }
  }
}
