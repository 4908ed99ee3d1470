/**
 * DuckDB sessions over the lake. For an S3 lake the httpfs extension (from PyPI's wheel of the same DuckDB
 * version, fetched by `playcount services up`) is loaded and an S3 secret points at the configured endpoint.
 * Identifiers and literals are quoted by these helpers, never by string concatenation elsewhere.
 */
import fs from 'node:fs'
import path from 'node:path'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import type { Config } from './config.ts'
import { Errors } from './errors.ts'

export const DUCKDB_VERSION = '1.5.5'

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`
}

/** A SQL list literal of file locations for read_parquet([...]). */
export function fileList(locations: readonly string[]): string {
  return `[${locations.map(quoteLiteral).join(', ')}]`
}

export function httpfsExtensionPath(config: Readonly<Config>): string {
  return (
    config.duckdb.httpfsPath ??
    path.join(
      config.cacheDir,
      `httpfs-${DUCKDB_VERSION}`,
      'duckdb_extension_httpfs',
      'extensions',
      `v${DUCKDB_VERSION}`,
      'httpfs.duckdb_extension',
    )
  )
}

export interface DuckSession {
  instance: DuckDBInstance
  conn: DuckDBConnection
  close(): void
}

export interface DuckOptions {
  threads?: number
  /** DuckDB's memory_limit, e.g. '2GB'; the default is DUCKDB_MEMORY_LIMIT, else DuckDB's (80% of RAM). */
  memoryLimit?: string
  /** Where DuckDB spills; without it DuckDB uses `.tmp` in the working directory and may read it back. */
  tempDirectory?: string
  /** DuckDB's max_temp_directory_size, e.g. '4GB'. */
  maxTempSize?: string
}

/** An in-memory DuckDB able to read the lake (local or S3). Close it in `finally`. */
export async function openDuck(config: Readonly<Config>, opts: DuckOptions = {}): Promise<DuckSession> {
  const options: Record<string, string> = {}
  if (opts.threads !== undefined) options.threads = String(opts.threads)
  const memoryLimit = opts.memoryLimit ?? config.duckdb.memoryLimit
  if (memoryLimit !== undefined) options.memory_limit = memoryLimit
  if (opts.tempDirectory !== undefined) options.temp_directory = opts.tempDirectory
  if (opts.maxTempSize !== undefined) options.max_temp_directory_size = opts.maxTempSize
  const instance = await DuckDBInstance.create(':memory:', options)
  const conn = await instance.connect()
  const session: DuckSession = {
    instance,
    conn,
    close: () => {
      conn.closeSync()
      instance.closeSync()
    },
  }
  try {
    if (config.lakeUri.startsWith('s3://')) await attachS3(conn, config)
  } catch (err) {
    session.close()
    throw err
  }
  return session
}

async function attachS3(conn: DuckDBConnection, config: Readonly<Config>): Promise<void> {
  const ext = httpfsExtensionPath(config)
  if (!fs.existsSync(ext)) {
    throw new Errors.CONFIG_INVALID(
      `DuckDB's httpfs extension is missing at ${ext}: run \`playcount services up\` (it fetches it) or set DUCKDB_HTTPFS_PATH`,
    )
  }
  await conn.run(`LOAD ${quoteLiteral(ext)}`)
  const endpoint = new URL(config.s3.endpoint ?? 'https://s3.amazonaws.com')
  await conn.run(`CREATE OR REPLACE SECRET lake (TYPE s3, KEY_ID ${quoteLiteral(config.s3.accessKeyId)},
    SECRET ${quoteLiteral(config.s3.secretAccessKey)}, REGION ${quoteLiteral(config.s3.region)},
    ENDPOINT ${quoteLiteral(endpoint.host)}, URL_STYLE 'path', USE_SSL ${endpoint.protocol === 'https:' ? 'true' : 'false'})`)
}
