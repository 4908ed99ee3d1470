/**
 * Worker-thread entry: runs `simulate` and posts its outputs in columns (structured-cloning 5000 output objects
 * costs ~25x more than their strings). At most `maxAhead` batches wait unconsumed; then the worker blocks.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { Catalog, type Artist, type Song } from '../../shared/catalog.ts'
import { simulate, type SimOptions } from './simulate.ts'
import { SimSummary } from './summary.ts'

export interface WorkerInput {
  sim: Omit<SimOptions, 'catalog'>
  artists: Artist[]
  songs: Song[]
  batchSize: number
  maxAhead: number
  /** Int32 [0]: batches posted but not yet consumed by the main thread. */
  outstanding: SharedArrayBuffer
}

export interface Batch { type: 'batch'; keys: string[]; lines: string[]; ats: Float64Array }
export interface Done { type: 'done'; summary: Record<string, unknown> }

function main(input: WorkerInput): void {
  const port = parentPort!
  const outstanding = new Int32Array(input.outstanding)
  const summary = new SimSummary()
  let keys: string[] = []
  let lines: string[] = []
  let ats: number[] = []
  const post = (): void => {
    while (Atomics.load(outstanding, 0) >= input.maxAhead) Atomics.wait(outstanding, 0, Atomics.load(outstanding, 0), 1000)
    Atomics.add(outstanding, 0, 1)
    const batch: Batch = { type: 'batch', keys, lines, ats: Float64Array.from(ats) }
    port.postMessage(batch, [batch.ats.buffer as ArrayBuffer])
    keys = []
    lines = []
    ats = []
  }
  for (const o of simulate({ ...input.sim, catalog: new Catalog(input.artists, input.songs) })) {
    summary.add(o)
    keys.push(o.key)
    lines.push(o.line)
    ats.push(o.at)
    if (lines.length >= input.batchSize) post()
  }
  if (lines.length > 0) post()
  const done: Done = { type: 'done', summary: { ...summary } }
  port.postMessage(done)
}

if (parentPort && workerData) main(workerData as WorkerInput)
