#!/usr/bin/env node
// Entry point of the `playcount` command: loads the TypeScript CLI through tsx, so no build step is needed.
import { register } from 'tsx/esm/api'

// The AWS SDK warns on every start that its 2027 releases will need Node 22; Node 20 is supported until then.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
register()
await import('../cli/main.ts')
