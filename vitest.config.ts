import { defineConfig } from 'vitest/config'

// The AWS SDK warns on every start that its 2027 releases need Node 22; the global setup runs in this process.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'

const env = {
  KAFKAJS_NO_PARTITIONER_WARNING: '1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  TZ: 'UTC',
  LOG_LEVEL: 'silent',
}
const exclude = ['node_modules/**', 'data/**']

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          env,
          sequence: { groupOrder: 0 },
          include: ['**/*.test.ts'],
          // Integration and fault suites need the services; they are the other projects.
          exclude: [...exclude, '**/*.integration.test.ts', '**/*.faults.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          env,
          exclude,
          sequence: { groupOrder: 1 },
          include: ['**/*.integration.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: 'faults',
          env,
          exclude,
          sequence: { groupOrder: 2 },
          include: ['**/*.faults.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 900_000,
          hookTimeout: 300_000,
          maxWorkers: 1,
        },
      },
    ],
  },
})
