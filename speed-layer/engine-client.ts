/**
 * How the consuming thread reaches the counting engine: on a worker thread (the default, so decoding Kafka batches
 * and counting run on two cores) or in-process (tests, tools). Calls are answered in the order they were made, so
 * a query made after a batch sees that batch counted.
 */
import { OrderedWorker } from '../shared/fast/ts-worker.ts'
import type { TrendingItem } from '../shared/realtime.ts'
import type { BreakdownRequest, BreakdownRows } from './breakdown-query.ts'
import {
  SpeedEngine,
  type BatchOutcome,
  type DailyRequest,
  type DailyRows,
  type DayAllRequest,
  type DayAllRows,
  type EngineBatch,
  type EngineSetup,
  type EngineStats,
  type TrendingRequest,
} from './engine.ts'

export interface EngineClient {
  assign(partition: number, heldFrom: number): Promise<void>
  revoke(partition: number): Promise<void>
  /** Hands the batch over (its buffers are transferred to the engine thread, not copied). */
  ingest(batch: EngineBatch): Promise<BatchOutcome>
  dropBefore(partition: number, t: number): Promise<number>
  prune(now: number): Promise<void>
  daily(q: DailyRequest): Promise<DailyRows>
  breakdown(q: BreakdownRequest): Promise<BreakdownRows>
  dayAll(q: DayAllRequest): Promise<DayAllRows>
  trending(q: TrendingRequest): Promise<TrendingItem[]>
  stats(): Promise<EngineStats>
  close(): Promise<void>
}

type Method = Exclude<keyof EngineClient, 'close'>
export interface EngineCall {
  method: Method
  args: unknown[]
}

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

  assign(partition: number, heldFrom: number): Promise<void> {
    return this.call('assign', partition, heldFrom)
  }
  revoke(partition: number): Promise<void> {
    return this.call('revoke', partition)
  }
  ingest(batch: EngineBatch): Promise<BatchOutcome> {
    return this.call('ingest', batch)
  }
  dropBefore(partition: number, t: number): Promise<number> {
    return this.call('dropBefore', partition, t)
  }
  prune(now: number): Promise<void> {
    return this.call('prune', now)
  }
  daily(q: DailyRequest): Promise<DailyRows> {
    return this.call('daily', q)
  }
  breakdown(q: BreakdownRequest): Promise<BreakdownRows> {
    return this.call('breakdown', q)
  }
  dayAll(q: DayAllRequest): Promise<DayAllRows> {
    return this.call('dayAll', q)
  }
  trending(q: TrendingRequest): Promise<TrendingItem[]> {
    return this.call('trending', q)
  }
  stats(): Promise<EngineStats> {
    return this.call('stats')
  }
  async close(): Promise<void> {}
}

export class WorkerEngine implements EngineClient {
  private readonly worker: OrderedWorker<EngineCall, unknown>

  /** `onFailure` runs once if the thread dies (its counts are gone; every call from then on is refused). */
  constructor(setup: EngineSetup, onFailure: (err: Error) => void = () => {}) {
    this.worker = new OrderedWorker(new URL('./engine-worker.ts', import.meta.url), setup, 'speed engine', {
      onFailure,
    })
  }

  private call<T>(method: Method, args: unknown[], transfer: ArrayBuffer[] = []): Promise<T> {
    return this.worker.call({ method, args }, transfer) as Promise<T>
  }

  assign(partition: number, heldFrom: number): Promise<void> {
    return this.call('assign', [partition, heldFrom])
  }
  revoke(partition: number): Promise<void> {
    return this.call('revoke', [partition])
  }
  ingest(batch: EngineBatch): Promise<BatchOutcome> {
    return this.call(
      'ingest',
      [batch],
      [
        batch.values.buffer as ArrayBuffer,
        batch.starts.buffer as ArrayBuffer,
        batch.ends.buffer as ArrayBuffer,
        batch.offsets.buffer as ArrayBuffer,
        batch.arrivals.buffer as ArrayBuffer,
      ],
    )
  }
  dropBefore(partition: number, t: number): Promise<number> {
    return this.call('dropBefore', [partition, t])
  }
  prune(now: number): Promise<void> {
    return this.call('prune', [now])
  }
  daily(q: DailyRequest): Promise<DailyRows> {
    return this.call('daily', [q])
  }
  breakdown(q: BreakdownRequest): Promise<BreakdownRows> {
    return this.call('breakdown', [q])
  }
  dayAll(q: DayAllRequest): Promise<DayAllRows> {
    return this.call('dayAll', [q])
  }
  trending(q: TrendingRequest): Promise<TrendingItem[]> {
    return this.call('trending', [q])
  }
  stats(): Promise<EngineStats> {
    return this.call('stats', [])
  }

  close(): Promise<void> {
    return this.worker.close()
  }
}
