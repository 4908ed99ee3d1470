export { buildBatchScheduler, type BatchScheduler, type BatchSchedulerDeps } from './scheduler.ts'
export { missedRun, firstFireBetween } from './catch-up.ts'
