/** The encoder thread's entry: one RowEncoder answering batches in order (see encoder-thread.ts). */
import { workerData } from 'node:worker_threads'
import type { KafkaBatchBuffers } from '../../shared/fast/batch-packing.ts'
import { answerInOrder } from '../../shared/fast/ts-worker.ts'
import type { EncoderSetup } from './encoder-thread.ts'
import { RowEncoder, type EncodedRows } from './row-encoder.ts'

const encoder = new RowEncoder((workerData as EncoderSetup).songs)
answerInOrder(
  (batch: KafkaBatchBuffers) => encoder.encode(batch),
  (rows: EncodedRows) => [rows.lines.buffer as ArrayBuffer, rows.lineEnds.buffer as ArrayBuffer],
)
