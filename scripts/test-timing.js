// `npm run test:timing`: runs what `npm test` runs (its phases read from package.json), timed per phase
// (wall and CPU seconds), with the slowest Jest suites and tests, against the 90 s target on 2 cores.
// `npm run test:load` (--load): the same twice with one busy-loop process per core, to find tests that
// depend on real time; the busy loops stop when it ends, fails or is interrupted, and on their own if this
// process dies. Exit code: 0 when every run passed. The target is reported, never enforced.
//   flags: --load  --runs N (default 1, 2 with --load)  --busy N (default: cores with --load)  --top N
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { basename, delimiter, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const TARGET_S = 90;
const root = resolve(import.meta.dirname, '..');
const { values: flags } = parseArgs({
  options: {
    load: { type: 'boolean', default: false },
    runs: { type: 'string' },
    busy: { type: 'string' },
    top: { type: 'string', default: '8' },
  },
});
const cores = os.availableParallelism();
const runs = Number(flags.runs ?? (flags.load ? 2 : 1));
const busyCount = Number(flags.busy ?? (flags.load ? cores : 0));
const top = Number(flags.top);
const logDir = mkdtempSync(join(os.tmpdir(), 'kserve-llmd-timing-'));

/** `npm test`'s commands: scripts.test split on &&, with `npm run X` expanded the same way. */
function phasesOf(scripts, name = 'test') {
  const text = scripts[name];
  if (text === undefined) throw new Error(`package.json has no script "${name}"`);
  return text
    .split('&&')
    .map((c) => c.trim())
    .flatMap((cmd) => {
      const run = /^npm run ([\w:.-]+)$/.exec(cmd);
      return run ? phasesOf(scripts, run[1]) : [{ name: phaseName(cmd), cmd }];
    });
}

function phaseName(cmd) {
  const words = cmd.split(/\s+/);
  if (words[0] === 'node' && words[1]) return basename(words[1]) === 'run-tests.js' ? 'jest' : basename(words[1]);
  return { eslint: 'lint', prettier: 'format', tsc: 'typecheck' }[words[0]] ?? words[0];
}

/** CPU seconds of this process's waited-for children (Linux /proc; undefined elsewhere). */
const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
function childCpuSeconds() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(fields[13]) + Number(fields[14])) / ticks; // cutime, cstime (fields 16, 17 of proc(5))
  } catch {
    return undefined;
  }
}

let current; // the running phase's process group
const busy = [];

/** One process per core spinning; each exits by itself when its parent (this script) is gone. */
function startBusyLoops(n) {
  const code = 'const p=process.ppid;for(let i=1;;i++)if(i%5e7===0&&process.ppid!==p)process.exit(0)';
  for (let i = 0; i < n; i++) busy.push(spawn(process.execPath, ['-e', code], { stdio: 'ignore' }));
}

function stopAll(signal = 'SIGTERM') {
  for (const p of busy.splice(0)) p.kill('SIGKILL');
  if (current) {
    try {
      process.kill(-current.pid, signal);
    } catch {
      // already gone
    }
  }
}

process.on('exit', () => stopAll('SIGKILL'));
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`\n${sig}: stopping the busy loops and the running phase`);
    stopAll(sig);
    process.exit(128 + os.constants.signals[sig]);
  });
}

function runPhase(phase, logFile, env) {
  return new Promise((done) => {
    const began = performance.now();
    const cpu0 = childCpuSeconds();
    // Own process group, so an interrupt stops the whole phase (Jest workers, engines) at once.
    const child = spawn('sh', ['-c', phase.cmd], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    current = child;
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.on('close', (code) => {
      current = undefined;
      writeFileSync(logFile, output);
      const cpu1 = childCpuSeconds();
      done({
        ...phase,
        ok: code === 0,
        wallS: (performance.now() - began) / 1000,
        cpuS: cpu0 === undefined || cpu1 === undefined ? undefined : cpu1 - cpu0,
        output,
        logFile,
      });
    });
  });
}

const fmt = (n, w = 7) => (n === undefined ? '—' : n.toFixed(1)).padStart(w);

function suiteTimes(file) {
  try {
    const results = JSON.parse(readFileSync(file, 'utf8'));
    const suites = results.testResults.map((s) => ({
      name: s.name.replace(`${root}/`, ''),
      s: (s.endTime - s.startTime) / 1000,
    }));
    const tests = results.testResults.flatMap((s) =>
      s.assertionResults.map((a) => ({
        name: `${s.name.replace(`${root}/`, '')}: ${a.title}`,
        s: (a.duration ?? 0) / 1000,
        failed: a.status === 'failed',
        message: (a.failureMessages ?? []).join('\n').split('\n').slice(0, 3).join(' | '),
      })),
    );
    return { suites, tests, passed: results.numPassedTests, failed: results.numFailedTests };
  } catch {
    return undefined;
  }
}

async function oneRun(index) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const phases = phasesOf(pkg.scripts);
  const resultsFile = join(logDir, `run${index}-jest.json`);
  const env = {
    ...process.env,
    PATH: [join(root, 'node_modules', '.bin'), process.env.PATH].join(delimiter),
    KSERVE_LLMD_TEST_RESULTS: resultsFile,
    FORCE_COLOR: '0',
  };
  const [l1, l5] = os.loadavg();
  console.log(
    `\nnpm test, run ${index} of ${runs}: ${cores} cores, ${busy.length} busy loops, ` +
      `load average ${l1.toFixed(2)} (1 min) ${l5.toFixed(2)} (5 min) before the run`,
  );
  console.log(`  ${'phase'.padEnd(12)} ${'wall s'.padStart(7)} ${'cpu s'.padStart(7)}  command`);
  const results = [];
  // npm test stops at the first failing phase (&&); the timing run goes on, to time every phase.
  for (const phase of phases) {
    const r = await runPhase(phase, join(logDir, `run${index}-${phase.name}.log`), env);
    results.push(r);
    const tail = phase.name === 'jest' ? (/\d+ passed, \d+ failed/.exec(r.output)?.[0] ?? '') : '';
    const note = `${r.ok ? '' : '  FAILED'}${tail ? `  (${tail})` : ''}`;
    console.log(`  ${r.name.padEnd(12)} ${fmt(r.wallS)} ${fmt(r.cpuS)}  ${r.cmd}${note}`);
    if (!r.ok) console.log(`    output: ${r.logFile}`);
  }
  const wall = results.reduce((s, r) => s + r.wallS, 0);
  const cpu = results.every((r) => r.cpuS !== undefined) ? results.reduce((s, r) => s + r.cpuS, 0) : undefined;
  const ok = results.every((r) => r.ok);
  console.log(
    `  ${'total'.padEnd(12)} ${fmt(wall)} ${fmt(cpu)}  ${ok ? 'PASS' : 'FAIL'}; ` +
      `target ≤ ${TARGET_S} s wall on 2 cores: ${wall <= TARGET_S ? 'met' : 'not met'}` +
      (busy.length ? ' (under load: not comparable)' : ''),
  );
  const jest = suiteTimes(resultsFile);
  if (jest) {
    console.log(`  slowest suites (wall s, ${jest.suites.length} suites):`);
    for (const s of [...jest.suites].sort((a, b) => b.s - a.s).slice(0, top))
      console.log(`    ${fmt(s.s, 6)}  ${s.name}`);
    console.log('  slowest tests (wall s):');
    for (const t of [...jest.tests].sort((a, b) => b.s - a.s).slice(0, top))
      console.log(`    ${fmt(t.s, 6)}  ${t.name}`);
    for (const t of jest.tests.filter((x) => x.failed)) console.log(`  FAILED ${t.name}\n    ${t.message}`);
  }
  return { ok, wall, cpu, jest };
}

async function main() {
  if (busyCount > 0) startBusyLoops(busyCount);
  const all = [];
  try {
    for (let i = 1; i <= runs; i++) all.push(await oneRun(i));
  } finally {
    stopAll();
  }
  console.log(`\nsummary (${busyCount} busy loops on ${cores} cores; logs in ${logDir}):`);
  all.forEach((r, i) =>
    console.log(
      `  run ${i + 1}: ${r.ok ? 'PASS' : 'FAIL'}  ${fmt(r.wall)} s wall  ${fmt(r.cpu)} s cpu  ` +
        `${r.jest ? `${r.jest.passed} passed, ${r.jest.failed} failed` : 'no jest results'}`,
    ),
  );
  process.exitCode = all.every((r) => r.ok) ? 0 : 1;
}

await main();
