/**
 * A worker's batch of simulated lines in a few flat buffers instead of thousands of strings: posting it moves two
 * ArrayBuffers (no structured clone of strings), the Kafka sink hands out Buffer views of it without encoding
 * anything again, and the file sink writes `values` as is (the lines with their newlines, i.e. the NDJSON bytes).
 * When the sink names a partition count, the worker also computes each line's partition, so kafkajs's partitioner
 * (murmur2 in JS) does not run on the thread that encodes the produce requests.
 */
import { partitionerFor } from '../../shared/partitioner.ts'

export interface EventLines {
  count: number
  /** Each line followed by '\n'; line i ends (newline included) at valueEnds[i]. */
  values: Buffer
  valueEnds: Int32Array
  keys: Buffer
  keyEnds: Int32Array
  partitions: Int32Array | undefined
  /** Simulated time of the last line. */
  lastAt: number
}

/** What crosses the thread boundary (plain transferables); `unpack` turns it into a EventLines. */
export interface EventLinesMessage {
  count: number
  values: ArrayBuffer
  valuesLength: number
  valueEnds: Int32Array
  keys: ArrayBuffer
  keysLength: number
  keyEnds: Int32Array
  partitions: Int32Array | undefined
  lastAt: number
}

/** Bytes grown by doubling; `allocUnsafeSlow` so each buffer owns its ArrayBuffer and can be transferred. */
class Bytes {
  buf = Buffer.allocUnsafeSlow(1 << 16)
  length = 0

  append(text: string, newline: boolean): void {
    const need = this.length + text.length * 3 + 1
    if (need > this.buf.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(need, this.buf.length * 2))
      this.buf.copy(bigger, 0, 0, this.length)
      this.buf = bigger
    }
    this.length += this.buf.write(text, this.length)
    if (newline) this.buf[this.length++] = 10
  }
}

export class Packer {
  private values = new Bytes()
  private keys = new Bytes()
  private valueEnds: number[] = []
  private keyEnds: number[] = []
  private parts: number[] = []
  private lastAt = 0
  private readonly partitionOf: ((key: string) => number) | undefined

  constructor(partitions: number | undefined) {
    this.partitionOf = partitions ? partitionerFor(partitions) : undefined
  }

  get count(): number {
    return this.valueEnds.length
  }

  add(key: string, line: string, at: number): void {
    this.values.append(line, true)
    this.valueEnds.push(this.values.length)
    this.keys.append(key, false)
    this.keyEnds.push(this.keys.length)
    if (this.partitionOf) this.parts.push(this.partitionOf(key))
    this.lastAt = at
  }

  /** The batch so far (the packer starts empty again) and the buffers to transfer. */
  take(): { message: EventLinesMessage; transfer: ArrayBuffer[] } {
    const message: EventLinesMessage = {
      count: this.count,
      lastAt: this.lastAt,
      values: this.values.buf.buffer as ArrayBuffer,
      valuesLength: this.values.length,
      valueEnds: Int32Array.from(this.valueEnds),
      keys: this.keys.buf.buffer as ArrayBuffer,
      keysLength: this.keys.length,
      keyEnds: Int32Array.from(this.keyEnds),
      partitions: this.partitionOf ? Int32Array.from(this.parts) : undefined,
    }
    const transfer = [
      message.values,
      message.keys,
      message.valueEnds.buffer as ArrayBuffer,
      message.keyEnds.buffer as ArrayBuffer,
    ]
    if (message.partitions) transfer.push(message.partitions.buffer as ArrayBuffer)
    this.values = new Bytes()
    this.keys = new Bytes()
    this.valueEnds = []
    this.keyEnds = []
    this.parts = []
    return { message, transfer }
  }
}

export function unpack(m: EventLinesMessage): EventLines {
  return {
    count: m.count,
    lastAt: m.lastAt,
    valueEnds: m.valueEnds,
    keyEnds: m.keyEnds,
    partitions: m.partitions,
    values: Buffer.from(m.values, 0, m.valuesLength),
    keys: Buffer.from(m.keys, 0, m.keysLength),
  }
}

/** Line i without its newline, as a view (no copy). */
export function lineAt(b: EventLines, i: number): Buffer {
  return b.values.subarray(i === 0 ? 0 : b.valueEnds[i - 1]!, b.valueEnds[i]! - 1)
}

export function keyAt(b: EventLines, i: number): Buffer {
  return b.keys.subarray(i === 0 ? 0 : b.keyEnds[i - 1]!, b.keyEnds[i]!)
}
