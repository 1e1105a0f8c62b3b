// `npm run test:timing`: runs what `npm test` runs (its steps read from package.json), timed per phase (wall
// and CPU seconds), with the slowest Jest suites and tests, against the 90 s target on 2 cores.
// `npm run test:load` (--load): the same twice with one busy-loop process per core, to find tests that
// depend on real time; the busy loops stop when it ends, fails or is interrupted, and on their own if this
// process dies. Exit code: 0 when every run passed. The target is reported, never enforced.
//   flags: --load  --runs N (default 1, 2 with --load)  --busy N (default: cores with --load)  --top N
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { basename, delimiter, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const TARGET_S = 90;
const self = fileURLToPath(import.meta.url);
const root = resolve(import.meta.dirname, '..');
const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/** CPU seconds of this process's waited-for children (Linux /proc; undefined elsewhere). */
function childCpuSeconds() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(fields[13]) + Number(fields[14])) / ticks; // cutime, cstime (fields 16, 17 of proc(5))
  } catch {
    return undefined;
  }
}

// Measuring mode (internal): run one command, then report the CPU it used. Phases that run at the same time
// each go through this, so each one's CPU is its own.
if (process.argv[2] === '--measure') {
  const [, , , resultFile, cmd] = process.argv;
  const run = spawnSync('sh', ['-c', cmd], { stdio: 'inherit' });
  writeFileSync(resultFile, JSON.stringify({ cpuS: childCpuSeconds() }));
  process.exit(run.status ?? 1);
}

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

/** The arguments of `node scripts/parallel.js "a" "b"` (double-quoted, as package.json writes them). */
function parallelArgs(cmd) {
  const m = /^node scripts\/parallel\.js\s+(.*)$/.exec(cmd);
  return m ? [...m[1].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((x) => x[1].replace(/\\"/g, '"')) : undefined;
}

/**
 * npm test as steps: a script split on &&, `npm run X` expanded the same way; a step is one command or a
 * group of branches run at the same time (scripts/parallel.js), each branch a list of steps.
 */
function stepsOf(scripts, text) {
  return text
    .split('&&')
    .map((c) => c.trim())
    .flatMap((cmd) => {
      const run = /^npm run ([\w:.-]+)$/.exec(cmd);
      if (run) {
        if (scripts[run[1]] === undefined) throw new Error(`package.json has no script "${run[1]}"`);
        return stepsOf(scripts, scripts[run[1]]);
      }
      const branches = parallelArgs(cmd);
      if (branches) return [{ parallel: branches.map((b) => stepsOf(scripts, b)) }];
      return [{ name: phaseName(cmd), cmd }];
    });
}

function phaseName(cmd) {
  const words = cmd.split(/\s+/);
  if (words[0] === 'node' && words[1]) return basename(words[1]) === 'run-tests.js' ? 'jest' : basename(words[1]);
  return { eslint: 'lint', prettier: 'format', tsc: 'typecheck' }[words[0]] ?? words[0];
}

const running = new Set(); // phases' process groups
const busy = [];

/** One process per core spinning; each exits by itself when its parent (this script) is gone. */
function startBusyLoops(n) {
  const code = 'const p=process.ppid;for(let i=1;;i++)if(i%5e7===0&&process.ppid!==p)process.exit(0)';
  for (let i = 0; i < n; i++) busy.push(spawn(process.execPath, ['-e', code], { stdio: 'ignore' }));
}

function stopAll(signal = 'SIGTERM') {
  for (const p of busy.splice(0)) p.kill('SIGKILL');
  for (const child of running) {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  }
}

process.on('exit', () => stopAll('SIGKILL'));
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`\n${sig}: stopping the busy loops and the running phases`);
    stopAll(sig);
    process.exit(128 + os.constants.signals[sig]);
  });
}

function runPhase(phase, log, env) {
  return new Promise((done) => {
    const began = performance.now();
    const cpuFile = `${log}.cpu.json`;
    // Own process group, so an interrupt stops the whole phase (Jest workers, engines) at once.
    const child = spawn(process.execPath, [self, '--measure', cpuFile, phase.cmd], {
      cwd: root,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.on('close', (code) => {
      running.delete(child);
      writeFileSync(log, output);
      let cpuS;
      try {
        cpuS = JSON.parse(readFileSync(cpuFile, 'utf8')).cpuS ?? undefined;
      } catch {
        cpuS = undefined;
      }
      done({ ...phase, ok: code === 0, wallS: (performance.now() - began) / 1000, cpuS, output, log });
    });
  });
}

const fmt = (n, w = 7) => (n === undefined ? '—' : n.toFixed(1)).padStart(w);

function printPhase(r, indent = '') {
  const tail = r.name === 'jest' ? (/\d+ passed, \d+ failed/.exec(r.output)?.[0] ?? '') : '';
  const note = `${r.ok ? '' : '  FAILED'}${tail ? `  (${tail})` : ''}`;
  console.log(`  ${`${indent}${r.name}`.padEnd(14)} ${fmt(r.wallS)} ${fmt(r.cpuS)}  ${r.cmd}${note}`);
  if (!r.ok) console.log(`    output: ${r.log}`);
}

/** Runs steps in order; a parallel group's branches at the same time. Returns the leaf results. */
async function runSteps(steps, ctx, indent = '') {
  const out = [];
  for (const step of steps) {
    if (!step.parallel) {
      const r = await runPhase(step, join(logDir, `run${ctx.index}-${ctx.seq.n++}-${step.name}.log`), ctx.env);
      if (ctx.print) printPhase(r, indent);
      out.push(r);
      continue;
    }
    const began = performance.now();
    const quiet = { ...ctx, print: false };
    const branches = await Promise.all(step.parallel.map((b) => runSteps(b, quiet)));
    // Nested groups (npm run lint inside npm test's group) flatten: their leaves all ran at once.
    const leaves = branches.flat().flatMap((r) => r.leaves ?? [r]);
    const wallS = (performance.now() - began) / 1000;
    const cpuS = leaves.every((r) => r.cpuS !== undefined) ? leaves.reduce((s, r) => s + r.cpuS, 0) : undefined;
    if (ctx.print) {
      console.log(`  ${`${indent}at once:`.padEnd(14)} ${fmt(wallS)} ${fmt(cpuS)}  the ${leaves.length} phases below`);
      for (const r of leaves) printPhase(r, `${indent}  `);
    }
    out.push({ name: 'parallel', wallS, cpuS, ok: leaves.every((r) => r.ok), leaves });
  }
  return out;
}

function suiteTimes(file) {
  try {
    const results = JSON.parse(readFileSync(file, 'utf8'));
    const rel = (name) => name.replace(`${root}/`, '');
    const suites = results.testResults.map((s) => ({ name: rel(s.name), s: (s.endTime - s.startTime) / 1000 }));
    const tests = results.testResults.flatMap((s) =>
      s.assertionResults.map((a) => ({
        name: `${rel(s.name)}: ${a.title}`,
        s: (a.duration ?? 0) / 1000,
        failed: a.status === 'failed',
        message: (a.failureMessages ?? []).join('\n').split('\n').slice(0, 3).join(' | '),
      })),
    );
    const broken = results.testResults
      .filter((s) => s.status === 'failed' && s.assertionResults.every((a) => a.status !== 'failed'))
      .map((s) => ({ name: rel(s.name), message: (s.message ?? '').split('\n').slice(0, 4).join(' | ') }));
    return { suites, tests, broken, passed: results.numPassedTests, failed: results.numFailedTests };
  } catch {
    return undefined;
  }
}

async function oneRun(index) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const steps = stepsOf(pkg.scripts, pkg.scripts.test);
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
  console.log(`  ${'phase'.padEnd(14)} ${'wall s'.padStart(7)} ${'cpu s'.padStart(7)}  command`);
  // npm test stops at the first failing step (&&); the timing run goes on, to time every phase.
  const results = await runSteps(steps, { index, env, seq: { n: 0 }, print: true });
  const wall = results.reduce((s, r) => s + r.wallS, 0);
  const cpu = results.every((r) => r.cpuS !== undefined) ? results.reduce((s, r) => s + r.cpuS, 0) : undefined;
  const ok = results.every((r) => r.ok);
  console.log(
    `  ${'total'.padEnd(14)} ${fmt(wall)} ${fmt(cpu)}  ${ok ? 'PASS' : 'FAIL'}; ` +
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
    const failures = [
      ...jest.tests.filter((x) => x.failed).map((t) => `  FAILED ${t.name}\n    ${t.message}`),
      ...jest.broken.map((s) => `  FAILED SUITE ${s.name}\n    ${s.message}`),
    ];
    for (const f of failures.slice(0, 20)) console.log(f);
    if (failures.length > 20) console.log(`  … and ${failures.length - 20} more (${resultsFile})`);
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
