/**
 * Makes one closed file durable in two steps: Parquet by DuckDB into the temporary folder (`convert`), then an atomic
 * put into the lake (`put`), so the archiver can convert the next file while this one uploads. The crash points of
 * the tests (ARCHIVE_FAILPOINT) sit between these steps.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { Config } from '../../shared/config.ts'
import type { Lake } from '../../shared/lake.ts'
import { eventsFileKey } from '../../shared/layout.ts'
import type { Logger } from '../../shared/logger.ts'
import { failpoint } from './failpoint.ts'
import type { ParquetWriter } from './parquet-writer.ts'
import type { ClosedFile } from './partition-archive.ts'
import type { ArchiverTelemetry } from './telemetry.ts'

export class FileSink {
  constructor(
    private readonly config: Readonly<Config>,
    private readonly lake: Lake,
    private readonly writer: ParquetWriter,
    private readonly tmpDir: string,
    private readonly log: Logger,
    private readonly telemetry: ArchiverTelemetry,
  ) {}

  /** The file's Parquet in the temporary folder; idempotent: the same closed file always gives the same bytes. */
  async convert(file: ClosedFile): Promise<string> {
    failpoint(this.config, 'before-write', this.log)
    const parquet = path.join(this.tmpDir, `p${file.partition}-o${file.firstOffset}.parquet`)
    const started = performance.now()
    await this.writer.write(file.csvPath, parquet)
    this.telemetry.convertSeconds.observe((performance.now() - started) / 1000)
    return parquet
  }

  /** Puts the converted file into the lake under its key (the same key for the same closed file). */
  async put(file: ClosedFile, parquet: string): Promise<string> {
    const key = eventsFileKey(file.hour, file.partition, file.firstOffset)
    const started = performance.now()
    const put = this.lake.putFile(key, parquet)
    // A few milliseconds in, the put is in flight: the object is absent or partial, never whole.
    failpoint(this.config, 'mid-upload', this.log, 2)
    await put
    failpoint(this.config, 'after-upload', this.log)
    fs.rmSync(parquet, { force: true })
    this.telemetry.putSeconds.observe((performance.now() - started) / 1000)
    this.log.info({ key, rows: file.rows, lastOffset: file.lastOffset, reason: file.reason }, 'events file written')
    return key
  }

  /** Deletes the buffered rows once the file is durable. */
  done(file: ClosedFile): void {
    fs.rmSync(file.csvPath, { force: true })
  }

  /** The last offset of the file already stored under this key, if any (see partition-archive.ts). */
  async existingEnd(hour: number, partition: number, firstOffset: number): Promise<number | undefined> {
    const key = eventsFileKey(hour, partition, firstOffset)
    if (!(await this.lake.exists(key))) return undefined
    const end = await this.writer.lastOffset(this.lake.location(key))
    this.log.info({ key, lastOffset: end }, 'events file already in the lake: continuing after it')
    return end
  }
}
