// Runs shell commands at the same time (npm test's lint, format check and typecheck: each is one process on
// one core) and prints each command's output when it ends, whole, so outputs do not interleave. Exits with the
// first failing command's code, after all have ended.
//   node scripts/parallel.js "eslint ." "tsc --noEmit"
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';

const commands = process.argv.slice(2);
if (commands.length === 0) {
  console.error('usage: node scripts/parallel.js "command" ["command" …]');
  process.exit(2);
}

const children = new Set();
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    for (const c of children) c.kill(sig);
    process.exit(130);
  });
}

const results = await Promise.all(
  commands.map(
    (cmd) =>
      new Promise((resolve) => {
        const child = spawn(cmd, { shell: true, stdio: ['ignore', 'pipe', 'pipe'] });
        children.add(child);
        const chunks = [];
        child.stdout.on('data', (c) => chunks.push(c));
        child.stderr.on('data', (c) => chunks.push(c));
        child.on('close', (code, signal) => {
          children.delete(child);
          const output = Buffer.concat(chunks).toString();
          const failed = code !== 0;
          if (output || failed) process.stdout.write(`> ${cmd}${failed ? ` (failed: ${signal ?? code})` : ''}\n`);
          process.stdout.write(output);
          resolve(code ?? 1);
        });
      }),
  ),
);
process.exitCode = results.find((code) => code !== 0) ?? 0;
