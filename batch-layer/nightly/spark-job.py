"""The Spark engine's job runner (spark-submit spark-job.py job.json): runs the Spark SQL that playcount compiled.

It holds no SQL of its own. job.json names the archive files to read (registered as `batch_files`), the listener
profiles if the lake has them (registered as `batch_listeners`), the statements
to run in order, two scalar queries for the run's figures, and each view's select with the folder to write it to,
partitioned by day. Lines starting with PLAYCOUNT_ on stdout are for playcount: the step being run, the figures,
or the error in one line.
"""
import json
import sys

from pyspark.sql import SparkSession


def say(kind, text):
    print(f"PLAYCOUNT_{kind} {text}", flush=True)


def one_line(err):
    # A Java exception's toString() is its class and message; str() of a Py4J error appends the whole stack trace.
    java = getattr(err, "java_exception", None)
    text = str(java.toString()) if java is not None else f"{type(err).__name__}: {err}"
    first = next((line.strip() for line in text.splitlines() if line.strip()), type(err).__name__)
    return first[:600]


def main(job_file):
    with open(job_file, encoding="utf-8") as f:
        job = json.load(f)
    spark = None
    try:
        spark = SparkSession.builder.appName(job["appName"]).getOrCreate()
        say("STEP", f"reading {len(job['files'])} archive files")
        spark.read.parquet(*job["files"]).createOrReplaceTempView("batch_files")
        if job.get("listeners"):
            spark.read.parquet(job["listeners"]).createOrReplaceTempView("batch_listeners")
        for i, statement in enumerate(job["statements"]):
            say("STEP", f"statement {i + 1}/{len(job['statements'])}: {statement.split(' AS ')[0]}")
            spark.sql(statement)
        figures = {name: int(spark.sql(sql).collect()[0][0] or 0) for name, sql in job["figures"].items()}
        for view in job["views"]:
            say("STEP", f"writing {view['name']}")
            spark.sql(view["sql"]).write.mode("overwrite").partitionBy("day").parquet(view["out"])
        say("FIGURES", json.dumps(figures))
    except Exception as err:  # noqa: BLE001 - every failure is reported to playcount in one line
        say("ERROR", one_line(err))
        sys.exit(1)
    finally:
        if spark is not None:
            spark.stop()


if __name__ == "__main__":
    main(sys.argv[1])
