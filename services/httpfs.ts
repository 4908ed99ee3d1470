/**
 * DuckDB's httpfs extension for the pinned @duckdb/node-api version, from PyPI's duckdb-extension-httpfs wheel of
 * the same DuckDB version (DuckDB cannot download extensions here). The wheel is a zip; the signed extension
 * inside it loads with a plain LOAD.
 */
import fs from 'node:fs'
import path from 'node:path'
import { Errors } from '../shared/errors.ts'
import { runTool, type ProvisionReporter } from './tool.ts'

/** Must equal the DuckDB version of the pinned @duckdb/node-api (1.5.5-r.5 → 1.5.5). */
export const DUCKDB_VERSION = '1.5.5'

export function httpfsPath(cacheDir: string): string {
  return path.join(
    cacheDir,
    `httpfs-${DUCKDB_VERSION}`,
    'duckdb_extension_httpfs',
    'extensions',
    `v${DUCKDB_VERSION}`,
    'httpfs.duckdb_extension',
  )
}

/** Fetches the extension from PyPI into the cache, once; a no-op when it is there. */
export async function ensureHttpfs(cacheDir: string, reporter: ProvisionReporter): Promise<string> {
  const target = httpfsPath(cacheDir)
  if (fs.existsSync(target)) return target
  const wheels = path.join(cacheDir, 'pip')
  const dest = path.join(cacheDir, `httpfs-${DUCKDB_VERSION}`)
  const step = {
    what: `DuckDB httpfs ${DUCKDB_VERSION}`,
    doing: `fetching DuckDB's httpfs extension ${DUCKDB_VERSION} from PyPI once with pip (a few seconds)`,
    cachedIn: dest,
    logFile: path.join(cacheDir, 'logs', 'httpfs-fetch.log'),
    hint: "the extension comes from PyPI's duckdb-extension-httpfs wheel: install python3 with pip and let pip reach pypi.org",
  }
  // The wheel is a zip; python3 unpacks the one pip fetched (its platform tag is pip's choice).
  const unpack =
    'import glob, sys, zipfile; zipfile.ZipFile(sorted(glob.glob(sys.argv[1]))[-1]).extractall(sys.argv[2])'
  await runTool(
    step,
    [
      {
        cmd: 'python3',
        args: [
          '-m',
          'pip',
          'download',
          '--no-deps',
          '--only-binary=:all:',
          '-d',
          wheels,
          `duckdb-extension-httpfs==${DUCKDB_VERSION}`,
        ],
      },
      {
        cmd: 'python3',
        args: ['-c', unpack, path.join(wheels, `duckdb_extension_httpfs-${DUCKDB_VERSION}-*.whl`), dest],
      },
    ],
    reporter,
  )
  if (!fs.existsSync(target)) throw new Errors.SERVICE_FETCH_FAILED(step.what, `${target} missing in the wheel`)
  return target
}
