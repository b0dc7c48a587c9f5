// The entry point of the single-file agent that deploy/package/build.ts bundles.
import { agentMain } from '../../cli/agent.ts';

process.exitCode = await agentMain(process.argv.slice(2));
