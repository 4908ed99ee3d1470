/**
 * Where the Spark engine finds Spark: SPARK_HOME when set (a cluster's client install), else the pinned pyspark
 * virtualenv that `playcount services provision` installs in the cache (services/spark.ts). PyPI's pyspark wheel
 * bundles Spark's jars and launchers, so the venv's pyspark folder is a Spark home.
 */
import fs from 'node:fs'
import path from 'node:path'

/** Spark 4.x runs on Java 17 and 21 (the JDK the local Kafka already uses). */
export const PYSPARK_VERSION = '4.3.0'

export function pysparkVenv(cacheDir: string): string {
  return path.join(cacheDir, `pyspark-${PYSPARK_VERSION}`)
}

/** The Spark home inside the venv (bin/spark-submit, jars/), or undefined when it is not installed. */
export function pysparkSparkHome(cacheDir: string): string | undefined {
  const lib = path.join(pysparkVenv(cacheDir), 'lib')
  if (!fs.existsSync(lib)) return undefined
  const py = fs.readdirSync(lib).find((d) => d.startsWith('python3'))
  if (py === undefined) return undefined
  const home = path.join(lib, py, 'site-packages', 'pyspark')
  return fs.existsSync(path.join(home, 'bin', 'spark-submit')) ? home : undefined
}

/** The venv's Python (it imports pyspark), for PYSPARK_PYTHON. */
export function pysparkPython(cacheDir: string): string {
  return path.join(pysparkVenv(cacheDir), 'bin', 'python')
}
