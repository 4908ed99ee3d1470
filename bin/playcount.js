#!/usr/bin/env node
// Entry point of the `playcount` command: loads the TypeScript CLI through tsx, so no build step is needed.
import { register } from 'tsx/esm/api'

// The AWS SDK warns on every start that its 2027 releases will need Node 22; Node 20 is supported until then.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
// kafkajs 2 warns that its default partitioner changed in 2.0; playcount has only ever used the new one.
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1'
register()
await import('../cli/main.ts')
