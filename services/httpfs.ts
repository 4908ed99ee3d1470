/**
 * DuckDB's httpfs extension for the pinned @duckdb/node-api version, from PyPI's duckdb-extension-httpfs wheel of
 * the same DuckDB version (DuckDB cannot download extensions here). The wheel is a zip; the signed extension
 * inside it loads with a plain LOAD.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { Errors } from '../shared/errors.ts'

/** Must equal the DuckDB version of the pinned @duckdb/node-api (1.5.5-r.5 → 1.5.5). */
export const DUCKDB_VERSION = '1.5.5'

export function httpfsPath(cacheDir: string): string {
  return path.join(cacheDir, `httpfs-${DUCKDB_VERSION}`, 'duckdb_extension_httpfs', 'extensions', `v${DUCKDB_VERSION}`, 'httpfs.duckdb_extension')
}

export function ensureHttpfs(cacheDir: string): string {
  const target = httpfsPath(cacheDir)
  if (fs.existsSync(target)) return target
  const wheels = path.join(cacheDir, 'pip')
  const dest = path.join(cacheDir, `httpfs-${DUCKDB_VERSION}`)
  try {
    execFileSync('python3', ['-m', 'pip', 'download', '--quiet', '--no-deps', '--only-binary=:all:', '-d', wheels,
      `duckdb-extension-httpfs==${DUCKDB_VERSION}`], { stdio: 'inherit' })
    const wheel = fs.readdirSync(wheels).find((f) => f.startsWith(`duckdb_extension_httpfs-${DUCKDB_VERSION}-`) && f.endsWith('.whl'))
    if (wheel === undefined) throw new Error('wheel not found after pip download')
    execFileSync('python3', ['-m', 'zipfile', '-e', path.join(wheels, wheel), dest], { stdio: 'inherit' })
  } catch (err) {
    throw new Errors.SERVICE_FETCH_FAILED(`duckdb-extension-httpfs==${DUCKDB_VERSION} from PyPI`, String(err))
  }
  if (!fs.existsSync(target)) throw new Errors.SERVICE_FETCH_FAILED('httpfs', `${target} missing in the wheel`)
  return target
}
