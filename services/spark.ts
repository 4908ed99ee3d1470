/**
 * Apache Spark for the batch layer's Spark engine in local mode (tests, one machine): PyPI's pyspark wheel, pinned,
 * in a virtualenv of its own under the cache folder (shared/spark.ts says where). The wheel bundles Spark's jars
 * and launchers (`spark-sql`, `spark-submit`), so the installed JDK is all it needs. A cluster's own Spark is used
 * instead by setting SPARK_HOME (docs/SCALING.md).
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { Errors } from '../shared/errors.ts'
import { PYSPARK_VERSION, pysparkSparkHome, pysparkVenv } from '../shared/spark.ts'

/** Creates the venv and installs the pinned pyspark from PyPI; a no-op when it is there. Returns the Spark home. */
export function ensurePyspark(cacheDir: string): string {
  const venv = pysparkVenv(cacheDir)
  const done = path.join(venv, '.complete')
  const existing = pysparkSparkHome(cacheDir)
  if (existing !== undefined && fs.existsSync(done)) return existing
  try {
    fs.rmSync(venv, { recursive: true, force: true })
    execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' })
    execFileSync(path.join(venv, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check',
      `pyspark==${PYSPARK_VERSION}`], { stdio: 'inherit' })
  } catch (err) {
    throw new Errors.SERVICE_FETCH_FAILED(`pyspark==${PYSPARK_VERSION} from PyPI`, String(err))
  }
  const home = pysparkSparkHome(cacheDir)
  if (home === undefined) throw new Errors.SERVICE_FETCH_FAILED(`pyspark==${PYSPARK_VERSION}`, `bin/spark-submit missing in ${venv}`)
  fs.writeFileSync(done, new Date().toISOString())
  return home
}
