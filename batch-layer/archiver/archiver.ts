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
 * The parts, each in its own file: the consuming side (shared/consumer-runner.ts, shared with the speed layer), one
 * partition's files (partition-archive.ts), the write queue (write-queue.ts), the checkpoint protocol
 * (checkpoint.ts), the dead letters (dead-letters.ts) and the drain (drain.ts). This file is the lifecycle that wires
 * them: start, stop, assignments and ticks.
 */
import { EventEmitter } from 'node:events'
import fastq from 'fastq'
import fs from 'node:fs'
import path from 'node:path'
import type { Batch, Producer } from 'kafkajs'
import type { Config } from '../../shared/config.ts'
import { ConsumerRunner } from '../../shared/consumer-runner.ts'
import type { DeadLetterStatus } from '../../shared/dlq.ts'
import { packBatch, type KafkaBatchBuffers } from '../../shared/fast/batch-packing.ts'
import { createKafka, ensureTopics, groupId } from '../../shared/kafka.ts'
import type { Logger } from '../../shared/logger.ts'
import { withRetry } from '../../shared/retry.ts'
import { Checkpoints } from './checkpoint.ts'
import { DeadLetters } from './dead-letters.ts'
import { drain } from './drain.ts'
import { EncoderThread } from './encoder-thread.ts'
import { FileSink } from './file-sink.ts'
import { committedOffsets, logBounds, resumeOffset } from './offsets.ts'
import { ParquetWriter } from './parquet-writer.ts'
import { PartitionArchive, type PartitionDeps } from './partition-archive.ts'
import { loadProgress } from './progress.ts'
import { RowFile } from './row-file.ts'
import { archiverTelemetry, type ArchiverTelemetry } from './telemetry.ts'
import type { Archiver, ArchiverDeps, DrainSummary } from './types.ts'
import { WriteQueue } from './write-queue.ts'

/**
 * Batches handed to the encoder thread and not yet taken by the partition state; the consuming thread waits for
 * room beyond that. Enough to keep both threads busy (a batch is encoded while the next is decoded).
 */
const MAX_BATCHES_IN_FLIGHT = 4

/** The group session: a killed archiver keeps its partitions at most this long before the group hands them over. */
const SESSION_TIMEOUT_MS = 10_000

/**
 * How long after its first join a drain waits for partitions that another member holds before naming them: a member
 * killed without leaving the group (kill -9) holds them until its session expires, then a rebalance hands them over.
 */
const DRAIN_SETTLE_MS = SESSION_TIMEOUT_MS + 5_000

/** The packed batch on its way to the encoder thread, and the log end its fetch saw. */
interface Handed {
  buffers: KafkaBatchBuffers
  logEnd: number
}

export class KafkaArchiver implements Archiver {
  private readonly log: Logger
  private readonly telemetry: ArchiverTelemetry
  private readonly topic: string
  private readonly group: string
  private readonly tmpDir: string
  /** The partitions this member archives. */
  private readonly owned = new Map<number, PartitionArchive>()
  /** 'progress': a batch applied, an assignment, a failure or a stop (what a drain waits on). */
  private readonly events = new EventEmitter()
  private readonly abort = new AbortController()
  private readonly deadLetters: DeadLetters
  private readonly checkpoints: Checkpoints
  /** Everything that touches partition state runs one at a time, in the order asked: batches, assignments, ticks. */
  private readonly serialQueue = fastq.promise((fn: () => Promise<unknown>) => fn(), 1)
  private runner: ConsumerRunner<Handed> | undefined
  private encoder: EncoderThread | undefined
  private producer: Producer | undefined
  private sink: FileSink | undefined
  private writer: ParquetWriter | undefined
  private writes: WriteQueue | undefined
  private ticker: NodeJS.Timeout | undefined
  private starting: Promise<void> | undefined
  private stopping: Promise<void> | undefined
  /** When this member first joined its group. */
  private firstJoinAt: number | undefined
  private failure: Error | undefined
  private readonly totals = { files: 0, rows: 0 }

  constructor(
    private readonly config: Readonly<Config>,
    private readonly deps: ArchiverDeps,
  ) {
    this.log = deps.log
    this.telemetry = archiverTelemetry(deps.registry, () => this.deadLetters.pendingCount)
    this.topic = config.kafka.topic
    this.group = groupId(config, 'archiver')
    this.tmpDir = path.join(config.home, 'tmp', `archiver-${process.pid}`)
    this.events.setMaxListeners(0)
    const durably = <T>(what: string, fn: () => Promise<T>): Promise<T> => this.durably(what, fn)
    this.deadLetters = new DeadLetters(
      {
        topic: this.topic,
        dlqTopic: config.kafka.dlqTopic,
        lake: deps.lake,
        log: deps.log,
        signal: this.abort.signal,
        durably,
      },
      this.telemetry,
    )
    this.checkpoints = new Checkpoints({
      config,
      lake: deps.lake,
      log: deps.log,
      telemetry: this.telemetry,
      durably,
      consumer: () => this.runner!.consumer,
      keepDeadLetters: () => this.deadLetters.flush(this.producer!),
    })
  }

  start(): Promise<void> {
    this.starting ??= this.doStart()
    return this.starting
  }

  private async doStart(): Promise<void> {
    fs.rmSync(this.tmpDir, { recursive: true, force: true })
    fs.mkdirSync(this.tmpDir, { recursive: true })
    const kafka = createKafka(this.config, this.log, 'archiver')
    this.writer = await ParquetWriter.create(this.config)
    this.encoder = new EncoderThread({
      songs: [...this.deps.catalog.songs.values()].map((s) => [s.songId, s.artistId]),
    })
    this.sink = new FileSink(this.config, this.deps.lake, this.writer, this.tmpDir, this.log, this.telemetry)
    this.writes = new WriteQueue({
      sink: this.sink,
      signal: this.abort.signal,
      durably: (what, fn) => this.durably(what, fn),
      fail: (err) => this.fail(err),
      written: (file) => {
        this.totals.files++
        this.totals.rows += file.rows
        this.telemetry.files.inc({ reason: file.reason })
        this.telemetry.rows.inc(file.rows)
        // The checkpoint goes with the partition state (serial); the partition may have a new owner state by then.
        void this.serial(async () => {
          const a = this.owned.get(file.partition)
          if (a !== undefined && this.checkpoints.changed(a)) await this.checkpoints.checkpoint(a)
        }).catch((err: unknown) => this.fail(err))
      },
    })
    this.runner = new ConsumerRunner(
      kafka,
      {
        role: 'archiver',
        topic: this.topic,
        groupId: this.group,
        maxInFlight: MAX_BATCHES_IN_FLIGHT,
        log: this.log,
        registry: this.deps.registry,
        // A short session so a restarted archiver takes over quickly from a killed one; heartbeats keep flowing
        // while a file write waits for the lake (durably), so a slow lake does not cost the membership.
        consumer: { sessionTimeout: SESSION_TIMEOUT_MS, heartbeatInterval: 2_000, maxBytesPerPartition: 4 << 20 },
      },
      {
        onJoin: (m) => {
          this.firstJoinAt ??= Date.now()
          void this.serial(() => this.assign([...m.partitions])).catch((err: unknown) => this.fail(err))
        },
        pack: (batch) => this.pack(batch),
        handOff: (h) => this.apply(h),
      },
    )
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
    await this.runner.start(async (admin) => {
      await ensureTopics(admin, this.config)
      await this.producer!.connect()
    })
    const tickMs = Math.min(10_000, Math.max(1_000, Math.floor(this.config.archive.graceMs / 2)))
    this.ticker = setInterval(() => {
      void this.serial(() => this.tick()).catch((err: unknown) => this.log.warn({ err }, 'archiver tick failed'))
    }, tickMs)
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
    await this.runner?.consumer.disconnect()
    await this.serial(async () => {
      for (const a of this.owned.values()) a.discard()
      this.owned.clear()
    }).catch((err: unknown) => this.log.warn({ err }, 'archiver stop'))
    await this.writes?.idle()
    await this.encoder?.close()
    this.encoder = undefined
    await this.producer?.disconnect()
    await this.runner?.stop()
    await this.writer?.close()
    this.writer = undefined
    fs.rmSync(this.tmpDir, { recursive: true, force: true })
  }

  /**
   * Drains the partitions this member is assigned; partitions another member of the group holds are not waited
   * for but named in the summary (`elsewhere`), since only their owner can archive them (drain.ts).
   */
  async drain(): Promise<DrainSummary> {
    const started = Date.now()
    await this.start()
    return drain(
      {
        topic: this.topic,
        group: this.group,
        runner: this.runner!,
        owned: this.owned,
        events: this.events,
        signal: this.abort.signal,
        failure: () => this.failure,
        settleMs: DRAIN_SETTLE_MS,
        firstJoinAt: () => this.firstJoinAt,
        serial: (fn) => this.serial(fn),
        writesIdle: () => this.writes!.idle(),
        tick: (force) => this.tick(force),
        totals: () => ({ ...this.totals, deadLetters: this.deadLetters.kept }),
      },
      started,
    )
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    return this.serialQueue.push(fn) as Promise<T>
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
    for (const [p, a] of this.owned) {
      if (!mine.has(p)) {
        a.discard()
        this.owned.delete(p)
        this.checkpoints.forget(p)
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
    await this.writes!.idle()
    const { admin } = this.runner!
    const [ends, committed] = await Promise.all([
      logBounds(admin, this.topic),
      committedOffsets(admin, this.group, this.topic),
    ])
    for (const p of partitions) {
      const progress = await this.durably(`read archive progress p${p}`, () =>
        loadProgress(this.deps.lake, this.topic, p),
      )
      const position = resumeOffset(committed.get(p), progress, ends.start.get(p) ?? 0)
      this.owned.set(p, new PartitionArchive(p, position, progress?.closedThrough ?? 0, this.partitionDeps()))
      this.checkpoints.restore(p, progress, committed.get(p))
    }
  }

  /** On the consuming thread: the batch as flat buffers for the encoder thread. */
  private pack(batch: Batch): Handed | undefined {
    if (this.abort.signal.aborted || this.encoder === undefined) return undefined
    return { buffers: packBatch(batch.partition, batch.messages), logEnd: Number(batch.highWatermark) }
  }

  /**
   * Hands the batch to the encoder thread; the partition state takes the encoded batches in the order read
   * (serial), so kafkajs decodes the next batch while this one is encoded.
   */
  private apply({ buffers, logEnd }: Handed): Promise<void> {
    const { partition, count, offsets, arrivals } = buffers
    const encoded = this.encoder!.encode(buffers)
    return this.serial(async () => {
      const rows = await encoded
      if (this.abort.signal.aborted) return
      // A batch before its assignment was seen: kafkajs reads from the committed offset, so own it from there.
      if (!this.owned.has(partition)) await this.own([partition])
      const a = this.owned.get(partition)!
      const lines = Buffer.from(rows.lines.buffer, rows.lines.byteOffset, rows.lines.length)
      await a.add({ count, offsets, arrivals, lines, lineEnds: rows.lineEnds, rejections: rows.rejections })
      await this.deadLetters.flush(this.producer!)
      this.telemetry.lag.set({ partition }, Math.max(0, logEnd - a.nextOffset))
    })
      .catch((err: unknown) => this.fail(err))
      .finally(() => this.events.emit('progress'))
  }

  /** Closes hours that can get no more messages, and checkpoints progress that changed (every partition gets one). */
  private async tick(force = false): Promise<void> {
    const now = Date.now()
    const ends = await logBounds(this.runner!.admin, this.topic)
    for (const a of this.owned.values()) {
      const end = ends.end.get(a.partition) ?? 0
      if (a.position >= end) await a.closeIdle(now, this.config.archive.graceMs)
      this.telemetry.lag.set({ partition: a.partition }, Math.max(0, end - a.nextOffset))
      if (force || this.checkpoints.changed(a)) await this.checkpoints.checkpoint(a)
    }
  }

  private partitionDeps(): PartitionDeps {
    return {
      maxRows: this.config.archive.maxRowsPerFile,
      deadLetter: (partition, offset, value, issue) => {
        const bytes = value === null ? null : Buffer.from(value.buffer, value.byteOffset, value.length)
        this.deadLetters.push({ sourceTopic: this.topic, partition, offset: String(offset), value: bytes, issue })
      },
      newRowFile: (partition, hour, firstOffset) =>
        new RowFile(path.join(this.tmpDir, `p${partition}-h${hour}-o${firstOffset}.csv`)),
      existingEnd: (hour, partition, firstOffset) =>
        this.durably(`look for events file p${partition} o${firstOffset}`, () =>
          this.sink!.existingEnd(hour, partition, firstOffset),
        ),
      writeFile: (file, durable) => this.writes!.enqueue(file, durable),
    }
  }

  /** Retries a lake or Kafka write until it succeeds or the archiver stops, heart-beating meanwhile. */
  private async durably<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const keepAlive = setInterval(() => {
      void this.runner?.heartbeat().catch((err: unknown) => this.log.debug({ err }, 'heartbeat'))
    }, 2_000)
    try {
      return await withRetry(fn, {
        what,
        log: this.log,
        retries: Number.POSITIVE_INFINITY,
        minTimeoutMs: 200,
        maxTimeoutMs: 5_000,
        signal: this.abort.signal,
      })
    } finally {
      clearInterval(keepAlive)
    }
  }
}
