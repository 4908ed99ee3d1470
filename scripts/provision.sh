#!/usr/bin/env bash
# Everything the tests need beyond `npm install`, fetched once and cached (~/.cache/playcount, ~/.m2, Go's module
# cache): Debian's Chromium for the dashboard test, Kafka's jars, a MinIO build, DuckDB's httpfs, a pinned pyspark
# virtualenv for the Spark batch engine (~/.cache/playcount/pyspark-<version>) and schemathesis (the API contract test).
set -euo pipefail
cd "$(dirname "$0")/.."
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
t0=$(date +%s)
bash scripts/install-system-deps.sh
t1=$(date +%s)
node bin/playcount.js services provision
t2=$(date +%s)
bash scripts/install-schemathesis.sh >/dev/null
t3=$(date +%s)
echo "provisioning took $((t3 - t0)) s (system packages $((t1 - t0)) s, Kafka/MinIO/httpfs/pyspark $((t2 - t1)) s, schemathesis $((t3 - t2)) s)"
