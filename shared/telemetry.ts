/** Prometheus metrics: one registry per process, passed to every role, served on /metrics. */
import { Registry, collectDefaultMetrics } from 'prom-client'

export function createRegistry(): Registry {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  return registry
}
