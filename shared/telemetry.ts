/** Prometheus metrics: one registry per process, passed to every role, served on /metrics. */
import { Registry, collectDefaultMetrics } from 'prom-client'

export function createRegistry(): Registry {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  return registry
}

/**
 * The metric `name` of the registry, made by `make` the first time: roles that run side by side in one process
 * share it (a second registration of a name throws).
 */
export function registered<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make()
}
