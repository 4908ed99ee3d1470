/**
 * The lake: a local folder (the embedded default) or S3 (`s3://bucket/prefix`). Writes are atomic per object:
 * a local write goes to a temporary name and is renamed; an S3 object appears whole when its upload completes.
 */
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import type { Config } from './config.ts'
import { Errors } from './errors.ts'
import { readIfExists, replaceFile, updateFile } from './file-update.ts'
import type { Logger } from './logger.ts'
import { withRetry } from './retry.ts'
import { createS3Client, parseS3Uri } from './s3.ts'

export interface Lake {
  readonly uri: string
  readonly kind: 'local' | 's3'
  /** Where DuckDB reads the object: a file path or an s3:// URL. */
  location(key: string): string
  putFile(key: string, localFile: string): Promise<void>
  putBytes(key: string, bytes: Buffer | string): Promise<void>
  get(key: string): Promise<Buffer | undefined>
  /**
   * Read, change, write, with no other writer's change lost in between: `change` gets the object's bytes (undefined
   * when absent) and returns the new ones. It may run more than once: again after another writer won, and on S3 even
   * on a document holding its own change (a write that landed but whose answer was lost, then retried). So it must be
   * idempotent and have no effects of its own. For small documents edited by operators (the keys), not for data.
   */
  update(key: string, change: (current: Buffer | undefined) => Buffer | string): Promise<void>
  exists(key: string): Promise<boolean>
  /** Keys under a prefix, sorted. */
  list(prefix: string): Promise<string[]>
  delete(key: string): Promise<void>
  close(): void
}

/**
 * S3 object names are read by DuckDB as URLs, and its httpfs reads `?s3_endpoint=host` as another server to sign
 * requests for, while S3 servers resolve `.` and `..`. So the lake's prefix, and every key DuckDB is allowed to read
 * (batch-layer/sql/session.ts), are plain: segments of AWS's "safe characters" plus `=`, none empty, `.` or `..`
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html). No `?`, `#`, `%` escapes or `\`.
 */
export function isPlainKey(key: string): boolean {
  return key.split('/').every((seg) => /^[A-Za-z0-9!_.*'()=-]+$/.test(seg) && seg !== '.' && seg !== '..')
}

/** An s3:// lake URI: a DNS-style bucket name, then a plain prefix (or none). */
function assertPlainS3Uri(uri: string): void {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(uri)
  if (!m || m[1]!.includes('..') || (m[2] !== undefined && m[2] !== '' && !isPlainKey(m[2]))) {
    throw new Errors.LAKE_URI_INVALID(
      `${uri} (the bucket a DNS-style name, the prefix plain segments: letters, digits and !_.*'()=-, no '.', '..', '?', '#' or '%')`,
    )
  }
}

export function openLake(config: Readonly<Config>, log?: Logger): Lake {
  if (config.lakeUri.startsWith('s3://')) {
    assertPlainS3Uri(config.lakeUri)
    return new S3Lake(config, createS3Client(config), log)
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(config.lakeUri)) throw new Errors.LAKE_URI_INVALID(config.lakeUri)
  return new LocalLake(config.lakeUri)
}

class LocalLake implements Lake {
  readonly kind = 'local'
  constructor(readonly uri: string) {}

  location(key: string): string {
    return path.join(this.uri, key)
  }

  async putFile(key: string, localFile: string): Promise<void> {
    const dest = this.location(key)
    await fsp.mkdir(path.dirname(dest), { recursive: true })
    const tmp = `${dest}.tmp-${process.pid}`
    await fsp.copyFile(localFile, tmp)
    await syncAndRename(tmp, dest)
  }

  async putBytes(key: string, bytes: Buffer | string): Promise<void> {
    await replaceFile(this.location(key), bytes)
  }

  async get(key: string): Promise<Buffer | undefined> {
    return readIfExists(this.location(key))
  }

  async update(key: string, change: (current: Buffer | undefined) => Buffer | string): Promise<void> {
    await updateFile(this.location(key), change)
  }

  async exists(key: string): Promise<boolean> {
    return fs.existsSync(this.location(key))
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = []
    const root = this.uri
    const start = path.join(root, prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '')
    const walk = async (dir: string): Promise<void> => {
      let entries: fs.Dirent[]
      try {
        entries = await fsp.readdir(dir, { withFileTypes: true })
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
        throw err
      }
      for (const e of entries) {
        const full = path.join(dir, e.name)
        if (e.isDirectory()) await walk(full)
        else if (!e.name.includes('.tmp-')) {
          const key = path.relative(root, full).split(path.sep).join('/')
          if (key.startsWith(prefix)) out.push(key)
        }
      }
    }
    await walk(start)
    return out.sort()
  }

  async delete(key: string): Promise<void> {
    await fsp.rm(this.location(key), { force: true })
  }

  close(): void {}
}

async function syncAndRename(tmp: string, dest: string): Promise<void> {
  const fh = await fsp.open(tmp, 'r+')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
  await fsp.rename(tmp, dest)
}

/** Reads and conditional writes of one S3 update before it gives up to writers that keep winning. */
const UPDATE_ATTEMPTS = 20

/** A conditional write that lost: the object changed (412), or a concurrent conditional write is in flight (409). */
function isLostRace(err: unknown): boolean {
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
  return status === 412 || status === 409
}

class S3Lake implements Lake {
  readonly kind = 's3'
  private readonly bucket: string
  private readonly prefix: string

  constructor(
    private readonly config: Readonly<Config>,
    private readonly s3: S3Client,
    private readonly log?: Logger,
  ) {
    const { bucket, prefix } = parseS3Uri(config.lakeUri)
    this.bucket = bucket
    this.prefix = prefix
  }

  get uri(): string {
    return this.config.lakeUri
  }

  private objectKey(key: string): string {
    return this.prefix ? `${this.prefix}/${key}` : key
  }

  location(key: string): string {
    return `s3://${this.bucket}/${this.objectKey(key)}`
  }

  private async io<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return withRetry(
      async () => {
        try {
          return await fn()
        } catch (err) {
          throw new Errors.LAKE_IO(`${what}: ${(err as Error).message}`, { cause: err })
        }
      },
      { what, retries: 6, ...(this.log ? { log: this.log } : {}) },
    )
  }

  async putFile(key: string, localFile: string): Promise<void> {
    await this.io(`put ${this.location(key)}`, async () => {
      const upload = new Upload({
        client: this.s3,
        queueSize: 4,
        partSize: 16 * 1024 * 1024,
        leavePartsOnError: false,
        params: { Bucket: this.bucket, Key: this.objectKey(key), Body: fs.createReadStream(localFile) },
      })
      await upload.done()
    })
  }

  async putBytes(key: string, bytes: Buffer | string): Promise<void> {
    await this.io(`put ${this.location(key)}`, async () => {
      const upload = new Upload({
        client: this.s3,
        params: { Bucket: this.bucket, Key: this.objectKey(key), Body: bytes },
      })
      await upload.done()
    })
  }

  async get(key: string): Promise<Buffer | undefined> {
    return this.io(`get ${this.location(key)}`, async () => {
      try {
        const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }))
        return Buffer.from(await res.Body!.transformToByteArray())
      } catch (err) {
        if ((err as { name?: string }).name === 'NoSuchKey') return undefined
        throw err
      }
    })
  }

  /**
   * Optimistic: read the object and its ETag, write the change only if the ETag is still the same (`If-Match`, or
   * `If-None-Match: *` for an absent object), else read again. S3 and MinIO answer a lost race 412.
   */
  async update(key: string, change: (current: Buffer | undefined) => Buffer | string): Promise<void> {
    const where = this.location(key)
    for (let attempt = 1; attempt <= UPDATE_ATTEMPTS; attempt++) {
      const current = await this.io(`get ${where}`, async () => {
        try {
          const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }))
          return { bytes: Buffer.from(await res.Body!.transformToByteArray()), etag: res.ETag }
        } catch (err) {
          if ((err as { name?: string }).name === 'NoSuchKey') return { bytes: undefined, etag: undefined }
          throw err
        }
      })
      const body = change(current.bytes)
      const written = await this.io(`put ${where}`, async () => {
        try {
          await this.s3.send(
            new PutObjectCommand({
              Bucket: this.bucket,
              Key: this.objectKey(key),
              Body: body,
              ...(current.etag === undefined ? { IfNoneMatch: '*' } : { IfMatch: current.etag }),
            }),
          )
          return true
        } catch (err) {
          if (isLostRace(err)) return false
          throw err
        }
      })
      if (written) return
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 50 * attempt))
    }
    throw new Errors.LAKE_IO(`${where}: changed by another writer on each of ${UPDATE_ATTEMPTS} attempts`)
  }

  async exists(key: string): Promise<boolean> {
    return this.io(`head ${this.location(key)}`, async () => {
      try {
        await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }))
        return true
      } catch (err) {
        if (
          (err as { name?: string }).name === 'NotFound' ||
          (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404
        )
          return false
        throw err
      }
    })
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = []
    let token: string | undefined
    const strip = this.prefix ? this.prefix.length + 1 : 0
    do {
      const res = await this.io(`list ${this.location(prefix)}`, () =>
        this.s3.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.objectKey(prefix),
            ContinuationToken: token,
          }),
        ),
      )
      for (const o of res.Contents ?? []) if (o.Key) out.push(o.Key.slice(strip))
      token = res.IsTruncated ? res.NextContinuationToken : undefined
    } while (token)
    return out.sort()
  }

  async delete(key: string): Promise<void> {
    await this.io(`delete ${this.location(key)}`, () =>
      this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) })),
    )
  }

  close(): void {
    this.s3.destroy()
  }
}
