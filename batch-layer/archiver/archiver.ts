/**
 * The archiver role: consumes the topic in its own consumer group and writes, per (partition, arrival hour), the
 * events Parquet files of the lake, exactly once. Order of a checkpoint: the file is durable in the lake, then the
 * dead letters are acknowledged, then the progress document is published, then the offset is committed; a crash
 * between any two steps is repaired by the next start (see partition-archive.ts).
 *
 * The consuming thread only decodes Kafka batches and packs each into flat buffers; validating and encoding the rows
 * runs on the encoder thread (encoder-thread.ts), at most MAX_BATCHES_IN_FLIGHT batches ahead of the partition
 * state, which takes the encoded batches in the order they were read.
 *
 * Memory stays bounded on a huge hour: rows go to a temporary CSV per open file (at most 1.25 MiB of text in memory
 * per partition), a file is split every ARCHIVE_MAX_ROWS_PER_FILE rows (disk: about 150 bytes a row), DuckDB
 * streams the CSV into Parquet one row group at a time, kafkajs holds at most one fetch (10 MiB) at a time, and at
 * most MAX_BATCHES_IN_FLIGHT batches (4 MiB of values each, and their rows) wait for the encoder or the state.
 *
 * Closed files are written to the lake while consumption goes on: DuckDB converts up to CONVERSIONS at a time and
 * the lake takes them one at a time, in the order closed, a put overlapping the next conversions (at most
 * MAX_QUEUED_FILES waiting, so disk holds at most that many closed CSVs beside the open ones).
 */
import { EventEmitter, once } from 'node:events'
import fs from 'node:fs'
import path from 'node:path'
import { AssignerProtocol, type Admin, type Consumer, type EachBatchPayload, type Producer } from 'kafkajs'
import type { Config } from '../../shared/config.ts'
import type { DeadLetterStatus } from '../../shared/dlq.ts'
import { Errors } from '../../shared/errors.ts'
import { createKafka, ensureTopics, groupId } from '../../shared/kafka.ts'
import { packBatch } from '../../shared/kafka-batch.ts'
import type { Logger } from '../../shared/logger.ts'
import { withRetry } from '../../shared/retry.ts'
import { DeadLetters } from './dead-letters.ts'
import { EncoderThread } from './encoder-thread.ts'
import { FileSink } from './file-sink.ts'
import { failpoint } from './failpoint.ts'
import { committedOffsets, logEnds, resumeOffset } from './offsets.ts'
import { CONVERSIONS, ParquetWriter } from './parquet-writer.ts'
import { PartitionArchive, type ClosedFile, type PartitionDeps } from './partition-archive.ts'
import { loadProgress, saveProgress } from './progress.ts'
import { RowFile } from './row-file.ts'
import { archiverMetrics, type ArchiverMetrics } from './telemetry.ts'
import type { Archiver, ArchiverDeps, DrainSummary, HeldElsewhere } from './types.ts'

/**
 * Closed files waiting for (or in) their conversion or their put; a further close waits for room. Enough for
 * CONVERSIONS files to be converted while the one before them is put into the lake.
 */
const MAX_QUEUED_FILES = CONVERSIONS + 1

/**
 * Batches handed to the encoder thread and not yet taken by the partition state; the consuming thread waits for
 * room beyond that. Enough to keep both threads busy (a batch is encoded while the next is decoded).
 */
const MAX_BATCHES_IN_FLIGHT = 4

/** A drain that has not joined its group by then stops with PLAYCOUNT_DRAIN_INCOMPLETE instead of waiting on. */
const DRAIN_JOIN_TIMEOUT_MS = 60_000

/** The group session: a killed archiver keeps its partitions at most this long before the group hands them over. */
const SESSION_TIMEOUT_MS = 10_000

/**
 * How long after its first join a drain waits for partitions that another member holds before naming them: a member
 * killed without leaving the group (kill -9) holds them until its session expires, then a rebalance hands them over.
 */
const DRAIN_SETTLE_MS = SESSION_TIMEOUT_MS + 5_000


interface Owned { archive: PartitionArchive; published?: { nextOffset: number; closedThrough: number }; committed?: number }

export class KafkaArchiver implements Archiver {
  private readonly log: Logger
  private readonly metrics: ArchiverMetrics
  private readonly topic: string
  private readonly group: string
  private readonly tmpDir: string
  private readonly owned = new Map<number, Owned>()
  private readonly events = new EventEmitter()
  private readonly abort = new AbortController()
  private readonly deadLetters: DeadLetters
  private serialTail: Promise<unknown> = Promise.resolve()
  /** The writer queue: converted files are put into the lake one after the other, in the same order; never rejects. */
  private writeTail: Promise<void> = Promise.resolve()
  private queued = 0
  private inFlight = 0
  private encoder: EncoderThread | undefined
  private consumer: Consumer | undefined
  private admin: Admin | undefined
  private producer: Producer | undefined
  private sink: FileSink | undefined
  private writer: ParquetWriter | undefined
  private ticker: NodeJS.Timeout | undefined
  private heartbeat: (() => Promise<void>) | undefined
  private starting: Promise<void> | undefined
  private stopping: Promise<void> | undefined
  /** This member's id and partitions from the last group join (undefined before the first one). */
  private membership: { memberId: string; partitions: Set<number> } | undefined
  /** When this member first joined its group. */
  private firstJoinAt: number | undefined
  private failure: Error | undefined
  private readonly totals = { files: 0, rows: 0 }

  constructor(private readonly config: Readonly<Config>, private readonly deps: ArchiverDeps) {
    this.log = deps.log
    this.metrics = archiverMetrics(deps.registry, () => this.deadLetters.pendingCount)
    this.topic = config.kafka.topic
    this.group = groupId(config, 'archiver')
    this.tmpDir = path.join(config.home, 'tmp', `archiver-${process.pid}`)
    this.events.setMaxListeners(0)
    this.deadLetters = new DeadLetters({
      topic: this.topic, dlqTopic: config.kafka.dlqTopic, lake: deps.lake, log: deps.log, signal: this.abort.signal,
      durably: (what, fn) => this.durably(what, fn),
    }, this.metrics)
  }

  start(): Promise<void> {
    this.starting ??= this.doStart()
    return this.starting
  }

  private async doStart(): Promise<void> {
    fs.rmSync(this.tmpDir, { recursive: true, force: true })
    fs.mkdirSync(this.tmpDir, { recursive: true })
    const kafka = createKafka(this.config, this.log, 'archiver')
    this.admin = kafka.admin()
    await this.admin.connect()
    await ensureTopics(this.admin, this.config)
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
    await this.producer.connect()
    this.writer = await ParquetWriter.create(this.config)
    this.encoder = new EncoderThread({ songs: [...this.deps.catalog.songs.values()].map((s) => [s.songId, s.artistId]) })
    this.sink = new FileSink(this.config, this.deps.lake, this.writer, this.tmpDir, this.log, this.metrics)
    // A short session so a restarted archiver takes over quickly from a killed one; heartbeats keep flowing
    // while a file write waits for the lake (keepAlive), so a slow lake does not cost the membership.
    const consumer = kafka.consumer({ groupId: this.group, sessionTimeout: SESSION_TIMEOUT_MS, heartbeatInterval: 2_000, maxBytesPerPartition: 4 << 20 })
    this.consumer = consumer
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const mine = payload.memberAssignment[this.topic] ?? []
      this.membership = { memberId: payload.memberId, partitions: new Set(mine) }
      this.firstJoinAt ??= Date.now()
      void this.serial(() => this.assign(mine)).catch((err: unknown) => this.fail(err))
    })
    await consumer.connect()
    await consumer.subscribe({ topic: this.topic, fromBeginning: true })
    await consumer.run({ autoCommit: false, eachBatch: (payload) => this.onBatch(payload) })
    const tickMs = Math.min(10_000, Math.max(1_000, Math.floor(this.config.archive.graceMs / 2)))
    this.ticker = setInterval(() => { void this.serial(() => this.tick()).catch((err: unknown) => this.log.warn({ err }, 'archiver tick failed')) }, tickMs)
    this.log.info({ topic: this.topic, group: this.group, lake: this.deps.lake.uri }, 'archiver started')
  }

  /** Idempotent: a signal, a failure and the caller's `finally` may all ask. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop()
    return this.stopping
  }

  deadLetterStatus(): DeadLetterStatus {
    return this.deadLetters.snapshot()
  }

  private async doStop(): Promise<void> {
    this.abort.abort()
    this.events.emit('progress')
    // A stop during the start (a signal) tears down what the start has built once it is done building.
    await this.starting?.catch(() => undefined)
    if (this.ticker) clearInterval(this.ticker)
    await this.consumer?.disconnect()
    await this.serial(async () => {
      for (const o of this.owned.values()) o.archive.discard()
      this.owned.clear()
    }).catch((err: unknown) => this.log.warn({ err }, 'archiver stop'))
    await this.writeTail
    await this.encoder?.close()
    this.encoder = undefined
    await this.producer?.disconnect()
    await this.admin?.disconnect()
    await this.writer?.close()
    this.writer = undefined
    fs.rmSync(this.tmpDir, { recursive: true, force: true })
  }

  /**
   * Drains the partitions this member is assigned; partitions another member of the group holds are not waited
   * for but named in the summary (`elsewhere`), since only their owner can archive them.
   */
  async drain(): Promise<DrainSummary> {
    const started = Date.now()
    await this.start()
    if (this.abort.signal.aborted) throw new Errors.DRAIN_INCOMPLETE('the archiver was stopped before the end of the log')
    const ends = await logEnds(this.admin!, this.topic)
    const all = [...ends.high.keys()]
    const settled = (): boolean => this.membership !== undefined &&
      (all.every((p) => this.membership!.partitions.has(p)) || Date.now() - (this.firstJoinAt ?? Date.now()) >= DRAIN_SETTLE_MS)
    const reached = (): boolean => settled() && [...this.membership!.partitions].every((p) => {
      const o = this.owned.get(p)
      return o !== undefined && o.archive.position >= (ends.high.get(p) ?? 0)
    })
    while (!reached()) {
      if (this.failure) throw this.failure
      if (this.abort.signal.aborted) throw new Errors.DRAIN_INCOMPLETE('the archiver was stopped before the end of the log')
      if (this.membership === undefined && Date.now() - started > DRAIN_JOIN_TIMEOUT_MS) {
        throw new Errors.DRAIN_INCOMPLETE(`no partition assignment from consumer group ${this.group} within ${DRAIN_JOIN_TIMEOUT_MS / 1000} s`)
      }
      await once(this.events, 'progress', { signal: AbortSignal.timeout(1000) }).catch(() => undefined)
    }
    if (this.failure) throw this.failure
    const elsewhere = await this.heldElsewhere(all)
    return this.serial(async () => {
      for (const o of this.owned.values()) await o.archive.closeForDrain()
      await this.writeTail
      if (this.failure) throw this.failure
      await this.tick(true)
      return {
        ...this.totals, deadLetters: this.deadLetters.kept, durationMs: Date.now() - started, elsewhere,
        partitions: [...this.owned.values()].map(({ archive: a }) => ({ partition: a.partition, nextOffset: String(a.nextOffset), closedThrough: a.closedThrough }))
          .sort((x, y) => x.partition - y.partition),
      }
    })
  }

  /** The topic's partitions not assigned to this member, and which members of the group hold them. */
  private async heldElsewhere(all: number[]): Promise<HeldElsewhere> {
    const mine = this.membership!
    const partitions = all.filter((p) => !mine.partitions.has(p)).sort((a, b) => a - b)
    if (partitions.length === 0) return { partitions, members: [] }
    const { groups } = await this.admin!.describeGroups([this.group])
    const members = (groups[0]?.members ?? []).filter((m) => m.memberId !== mine.memberId).map((m) => {
      const held = AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment[this.topic] ?? []
      return { memberId: m.memberId, clientId: m.clientId, host: m.clientHost, partitions: [...held].sort((a, b) => a - b) }
    }).filter((m) => m.partitions.length > 0)
    return { partitions, members }
  }

  /** Everything that touches partition state runs one at a time: batches, assignments and ticks. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.serialTail.then(fn, fn)
    this.serialTail = run.catch(() => undefined)
    return run
  }

  private fail(err: unknown): void {
    if (this.abort.signal.aborted) return
    this.failure = err instanceof Error ? err : new Error(String(err))
    this.log.error({ err }, 'archiver failed; it stops (offsets stay at the last durable file)')
    this.events.emit('progress')
    void this.stop().catch((e: unknown) => this.log.error({ err: e }, 'archiver stop after failure'))
  }

  private async assign(partitions: number[]): Promise<void> {
    const mine = new Set(partitions)
    for (const [p, o] of this.owned) {
      if (!mine.has(p)) {
        o.archive.discard()
        this.owned.delete(p)
      }
    }
    const fresh = partitions.filter((p) => !this.owned.has(p))
    if (fresh.length > 0) await this.own(fresh)
    this.log.info({ partitions }, 'archiver partitions assigned')
    this.events.emit('progress')
  }

  /** Starts archiving these partitions where the group's commit or the published progress says. */
  private async own(partitions: number[]): Promise<void> {
    // A file of an earlier ownership still being written must land first: the new state looks for it in the lake.
    await this.writeTail
    const [ends, committed] = await Promise.all([logEnds(this.admin!, this.topic), committedOffsets(this.admin!, this.group, this.topic)])
    for (const p of partitions) {
      const progress = await this.durably(`read archive progress p${p}`, () => loadProgress(this.deps.lake, this.topic, p))
      const position = resumeOffset(committed.get(p), progress, ends.low.get(p) ?? 0)
      const owned: Owned = { archive: new PartitionArchive(p, position, progress?.closedThrough ?? 0, this.partitionDeps()) }
      if (progress) owned.published = { nextOffset: Number(progress.nextOffset), closedThrough: progress.closedThrough }
      const c = committed.get(p)
      if (c !== undefined) owned.committed = c
      this.owned.set(p, owned)
    }
  }

  /**
   * Hands the batch to the encoder thread and returns once there is room for another, so kafkajs decodes the next
   * batch while this one is encoded; the partition state takes the encoded batches in order (serial).
   */
  private async onBatch({ batch, heartbeat }: EachBatchPayload): Promise<void> {
    this.heartbeat = heartbeat
    const encoder = this.encoder
    if (this.abort.signal.aborted || encoder === undefined) return
    const { partition } = batch
    const high = Number(batch.highWatermark)
    const packed = packBatch(partition, batch.messages)
    const { count, offsets, arrivals } = packed
    const encoded = encoder.encode(packed)
    this.inFlight++
    void this.serial(async () => {
      const rows = await encoded
      if (this.abort.signal.aborted) return
      // A batch before its assignment was seen: kafkajs reads from the committed offset, so own it from there.
      if (!this.owned.has(partition)) await this.own([partition])
      const owned = this.owned.get(partition)!
      const lines = Buffer.from(rows.lines.buffer, rows.lines.byteOffset, rows.lines.length)
      await owned.archive.add({ count, offsets, arrivals, lines, lineEnds: rows.lineEnds, rejected: rows.rejected })
      await this.flushDeadLetters()
      this.metrics.lag.set({ partition }, Math.max(0, high - owned.archive.nextOffset))
    }).catch((err: unknown) => this.fail(err)).finally(() => {
      this.inFlight--
      this.events.emit('applied')
      this.events.emit('progress')
    })
    while (this.inFlight >= MAX_BATCHES_IN_FLIGHT && !this.abort.signal.aborted) await once(this.events, 'applied')
  }

  /** Closes hours that can get no more messages, and publishes progress that changed (every partition gets one). */
  private async tick(force = false): Promise<void> {
    const now = Date.now()
    const ends = await logEnds(this.admin!, this.topic)
    for (const o of this.owned.values()) {
      const a = o.archive
      const end = ends.high.get(a.partition) ?? 0
      if (a.position >= end) await a.closeIdle(now, this.config.archive.graceMs)
      this.metrics.lag.set({ partition: a.partition }, Math.max(0, end - a.nextOffset))
      if (force || this.changed(o)) await this.checkpoint(a)
    }
  }

  /** Whether the published progress or the commit lags behind what is durable. */
  private changed(o: Owned): boolean {
    const a = o.archive
    return o.published === undefined || o.published.nextOffset !== a.nextOffset || o.published.closedThrough !== a.closedThrough ||
      o.committed !== a.nextOffset
  }

  private partitionDeps(): PartitionDeps {
    return {
      maxRows: this.config.archive.maxRowsPerFile,
      deadLetter: (partition, offset, value, issue) => {
        const bytes = value === null ? null : Buffer.from(value.buffer, value.byteOffset, value.length)
        this.deadLetters.push({ sourceTopic: this.topic, partition, offset: String(offset), value: bytes, issue })
      },
      newRowFile: (partition, hour, firstOffset) => new RowFile(path.join(this.tmpDir, `p${partition}-h${hour}-o${firstOffset}.csv`)),
      existingEnd: (hour, partition, firstOffset) => this.durably(`look for events file p${partition} o${firstOffset}`,
        () => this.sink!.existingEnd(hour, partition, firstOffset)),
      writeFile: (file, durable) => this.enqueue(file, durable),
    }
  }

  /** Hands a closed file to the writer queue, after waiting for room in it. */
  private async enqueue(file: ClosedFile, durable: () => void): Promise<void> {
    while (this.queued >= MAX_QUEUED_FILES) await once(this.events, 'written')
    this.queued++
    const what = `events file p${file.partition} o${file.firstOffset}`
    // Conversions start at once (the writer runs CONVERSIONS of them at a time); puts go in the order closed.
    const converted = this.durably(`convert ${what}`, () => this.sink!.convert(file))
    converted.catch(() => undefined)
    this.writeTail = this.writeTail.then(async () => this.writeFile(file, await converted, durable)).catch((err: unknown) => this.fail(err)).finally(() => {
      this.queued--
      this.events.emit('written')
    })
  }

  private async writeFile(file: ClosedFile, parquet: string, durable: () => void): Promise<void> {
    if (this.abort.signal.aborted) return
    await this.durably(`put events file p${file.partition} o${file.firstOffset}`, () => this.sink!.put(file, parquet))
    this.sink!.done(file)
    durable()
    this.totals.files++
    this.totals.rows += file.rows
    this.metrics.files.inc({ reason: file.reason })
    this.metrics.rows.inc(file.rows)
    // The checkpoint goes with the partition state (serial); the partition may have a new owner state by then.
    void this.serial(async () => {
      const o = this.owned.get(file.partition)
      if (o !== undefined && this.changed(o)) await this.checkpoint(o.archive)
    }).catch((err: unknown) => this.fail(err))
  }

  private async flushDeadLetters(): Promise<void> {
    await this.deadLetters.flush(this.producer!)
  }

  /** After a durable file (or on a tick): dead letters, then the progress document, then the Kafka commit. */
  private async checkpoint(a: PartitionArchive): Promise<void> {
    const o = this.owned.get(a.partition)
    if (o === undefined) return
    await this.flushDeadLetters()
    const nextOffset = a.nextOffset
    const closedThrough = a.closedThrough
    await this.durably(`publish archive progress p${a.partition}`, () => saveProgress(this.deps.lake, {
      topic: this.topic, partition: a.partition, nextOffset: String(nextOffset), closedThrough, updatedAt: new Date().toISOString(),
    }))
    o.published = { nextOffset, closedThrough }
    this.metrics.closedThrough.set({ partition: a.partition }, closedThrough / 1000)
    failpoint(this.config, 'after-progress', this.log)
    if (o.committed === nextOffset) return
    try {
      await this.consumer!.commitOffsets([{ topic: this.topic, partition: a.partition, offset: String(nextOffset) }])
      o.committed = nextOffset
    } catch (err) {
      // A rebalance can refuse a commit; the progress document already says where to resume, and the next
      // tick (or the next owner) commits again.
      this.log.warn({ err, partition: a.partition, offset: nextOffset }, 'offset commit refused; retried on the next tick')
    }
  }

  /** Retries a lake or Kafka write until it succeeds or the archiver stops, heart-beating meanwhile. */
  private async durably<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const keepAlive = setInterval(() => { void this.heartbeat?.().catch((err: unknown) => this.log.debug({ err }, 'heartbeat')) }, 2_000)
    try {
      return await withRetry(fn, { what, log: this.log, retries: Number.POSITIVE_INFINITY, minTimeoutMs: 200, maxTimeoutMs: 5_000, signal: this.abort.signal })
    } finally {
      clearInterval(keepAlive)
    }
  }
}
