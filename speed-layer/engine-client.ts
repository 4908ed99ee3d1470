/**
 * How the consuming thread reaches the counting engine: on a worker thread (the default, so decoding Kafka batches
 * and counting run on two cores) or in-process (tests, tools). Calls are answered in the order they were made, so
 * a query made after a batch sees that batch counted.
 */
import type { Worker } from 'node:worker_threads'
import { Errors } from '../shared/errors.ts'
import { tsWorker } from '../shared/ts-worker.ts'
import type { TrendingItem } from '../shared/realtime.ts'
import {
  SpeedEngine, type BatchOutcome, type DailyRequest, type DailyRows, type EncodedBatch, type EngineSetup, type EngineStats, type TrendingRequest,
} from './engine.ts'

export interface EngineClient {
  assign(partition: number, heldFrom: number): Promise<void>
  revoke(partition: number): Promise<void>
  /** Hands the batch over (its buffers are transferred to the engine thread, not copied). */
  ingest(batch: EncodedBatch): Promise<BatchOutcome>
  dropBefore(partition: number, t: number): Promise<number>
  prune(now: number): Promise<void>
  daily(q: DailyRequest): Promise<DailyRows>
  trending(q: TrendingRequest): Promise<TrendingItem[]>
  stats(): Promise<EngineStats>
  close(): Promise<void>
}

type Method = Exclude<keyof EngineClient, 'close'>
export interface EngineCall { id: number; method: Method; args: unknown[] }
export type EngineReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; name: string; message: string }

/** Runs one call on an engine (shared by the in-process client and the worker). */
export function dispatch(engine: SpeedEngine, method: Method, args: unknown[]): unknown {
  const fn = engine[method] as (...a: unknown[]) => unknown
  return fn.apply(engine, args)
}

export class InlineEngine implements EngineClient {
  readonly engine: SpeedEngine
  constructor(setup: EngineSetup) {
    this.engine = new SpeedEngine(setup)
  }

  private call<T>(method: Method, ...args: unknown[]): Promise<T> {
    try {
      return Promise.resolve(dispatch(this.engine, method, args) as T)
    } catch (err) {
      return Promise.reject(err as Error)
    }
  }

  assign(partition: number, heldFrom: number): Promise<void> { return this.call('assign', partition, heldFrom) }
  revoke(partition: number): Promise<void> { return this.call('revoke', partition) }
  ingest(batch: EncodedBatch): Promise<BatchOutcome> { return this.call('ingest', batch) }
  dropBefore(partition: number, t: number): Promise<number> { return this.call('dropBefore', partition, t) }
  prune(now: number): Promise<void> { return this.call('prune', now) }
  daily(q: DailyRequest): Promise<DailyRows> { return this.call('daily', q) }
  trending(q: TrendingRequest): Promise<TrendingItem[]> { return this.call('trending', q) }
  stats(): Promise<EngineStats> { return this.call('stats') }
  async close(): Promise<void> {}
}

export class WorkerEngine implements EngineClient {
  private readonly worker: Worker
  private nextId = 0
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  private failure: Error | undefined

  /** `onFailure` runs once if the thread dies (its counts are gone; every call from then on is refused). */
  constructor(setup: EngineSetup, onFailure: (err: Error) => void = () => {}) {
    this.worker = tsWorker(new URL('./engine-worker.ts', import.meta.url), { workerData: setup })
    this.worker.on('message', (r: EngineReply) => {
      const p = this.pending.get(r.id)
      if (p === undefined) return
      this.pending.delete(r.id)
      if (r.ok) p.resolve(r.value)
      else p.reject(Object.assign(new Error(r.message), { name: r.name }))
    })
    const fail = (err: Error): void => {
      if (this.failure) return
      this.failure = new Errors.INTERNAL(`speed engine thread stopped: ${err.message}`, { cause: err })
      for (const p of this.pending.values()) p.reject(this.failure)
      this.pending.clear()
      onFailure(this.failure)
    }
    this.worker.on('error', fail)
    this.worker.on('exit', (code) => fail(new Error(`exit code ${code}`)))
  }

  private call<T>(method: Method, args: unknown[], transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.failure) return Promise.reject(this.failure)
    const id = this.nextId++
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.worker.postMessage({ id, method, args } satisfies EngineCall, transfer)
    })
  }

  assign(partition: number, heldFrom: number): Promise<void> { return this.call('assign', [partition, heldFrom]) }
  revoke(partition: number): Promise<void> { return this.call('revoke', [partition]) }
  ingest(batch: EncodedBatch): Promise<BatchOutcome> {
    return this.call('ingest', [batch], [batch.values.buffer as ArrayBuffer, batch.starts.buffer as ArrayBuffer, batch.ends.buffer as ArrayBuffer, batch.offsets.buffer as ArrayBuffer, batch.arrivals.buffer as ArrayBuffer])
  }
  dropBefore(partition: number, t: number): Promise<number> { return this.call('dropBefore', [partition, t]) }
  prune(now: number): Promise<void> { return this.call('prune', [now]) }
  daily(q: DailyRequest): Promise<DailyRows> { return this.call('daily', [q]) }
  trending(q: TrendingRequest): Promise<TrendingItem[]> { return this.call('trending', [q]) }
  stats(): Promise<EngineStats> { return this.call('stats', []) }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit')
    await this.worker.terminate()
  }
}
