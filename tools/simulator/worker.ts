/**
 * Worker-thread entry: runs `simulate` and posts its outputs packed in flat buffers (see event-lines.ts), moved rather
 * than cloned. At most `maxAhead` batches wait unconsumed; then the worker blocks.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { Catalog, type Artist, type Song } from '../../shared/catalog/catalog.ts'
import { Packer, type EventLinesMessage } from './event-lines.ts'
import { simulate, type SimOptions } from './simulate.ts'
import { SimSummary } from './summary.ts'

export interface WorkerInput {
  sim: Omit<SimOptions, 'catalog'>
  artists: Artist[]
  songs: Song[]
  batchSize: number
  maxAhead: number
  /** The target topic's partition count, when the sink wants partitions computed here. */
  partitions: number | undefined
  /** Int32 [0]: batches posted but not yet consumed by the main thread. */
  outstanding: SharedArrayBuffer
}

export interface Batch {
  type: 'batch'
  packed: EventLinesMessage
}
export interface Done {
  type: 'done'
  summary: Record<string, unknown>
}

function main(input: WorkerInput): void {
  const port = parentPort!
  const outstanding = new Int32Array(input.outstanding)
  const summary = new SimSummary()
  const packer = new Packer(input.partitions)
  const post = (): void => {
    while (Atomics.load(outstanding, 0) >= input.maxAhead)
      Atomics.wait(outstanding, 0, Atomics.load(outstanding, 0), 1000)
    Atomics.add(outstanding, 0, 1)
    const { message, transfer } = packer.take()
    const batch: Batch = { type: 'batch', packed: message }
    port.postMessage(batch, transfer)
  }
  for (const o of simulate({ ...input.sim, catalog: new Catalog(input.artists, input.songs) })) {
    summary.add(o)
    packer.add(o.key, o.line, o.at)
    if (packer.count >= input.batchSize) post()
  }
  if (packer.count > 0) post()
  const done: Done = { type: 'done', summary: { ...summary } }
  port.postMessage(done)
}

if (parentPort && workerData) main(workerData as WorkerInput)
