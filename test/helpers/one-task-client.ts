// Test helper process: runs one task on an agent and prints its output; the test SIGKILLs it.
// argv: ADDRESS CA CERT KEY COMMAND ARGUMENTS [session] — with `session`, the task goes on the
// agent's Session stream (as `tasker` sends it after its pre-run probe), else as an Execute call.
import { createAgentExecutor } from '../../controller/executors/agent-executor.js';

const [address, ca, cert, key, command, args, way] = process.argv.slice(2) as [string, string, string, string, string, string, string?];
const ex = createAgentExecutor({ name: 'agent1', kind: 'tls', address, tls: { ca, cert, key } });
if (way === 'session') await ex.probe();
await ex.execute({
  runId: 'client-death',
  taskId: '1',
  execType: 'local',
  hostname: 'localhost',
  command,
  arguments: args,
  timeoutMs: 3600_000,
  onStdout: (c) => process.stdout.write(c),
});
