/** The encoder thread's entry: one RowEncoder answering batches in order (see encoder-thread.ts). */
import { parentPort, workerData } from 'node:worker_threads'
import type { EncoderReply, EncoderSetup } from './encoder-thread.ts'
import type { PackedBatch } from '../../shared/kafka-batch.ts'
import { RowEncoder } from './row-encoder.ts'

const encoder = new RowEncoder((workerData as EncoderSetup).songs)
const port = parentPort!
port.on('message', (batch: PackedBatch) => {
  let reply: EncoderReply
  try {
    reply = { ok: true, rows: encoder.encode(batch) }
  } catch (err) {
    reply = { ok: false, message: (err as Error).message }
  }
  port.postMessage(reply, reply.ok ? [reply.rows.lines.buffer as ArrayBuffer, reply.rows.lineEnds.buffer as ArrayBuffer] : [])
})
