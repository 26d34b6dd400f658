#!/usr/bin/env node
// @module bench/perf-record
// Records one core with Linux perf while one benchmark configuration serves: the server pinned to
// core 0 and started with --perf-basic-prof (perf names its JIT code from /tmp/perf-<pid>.map), wrk
// and the OTLP receiver on core 1, as bench/run.mjs has them. perf's cpu-clock event needs no PMU,
// which this VM lacks; the samples cover every thread of the core, the kernel's share included,
// which neither --cpu-prof (bench/profile.mjs: the main thread's JS) nor callgrind
// (bench/instructions.mjs: instructions, not time; its tiering differs from a native run) shows.
// Read the file with `perf report -i <file> --sort comm,dso` or `perf script -i <file>`.
// Usage: node bench/perf-record.mjs "<configuration>" <out file> [seconds]
// Env: BENCH_NODE (24), PERF_CORE (the core recorded, 0), PERF_STACKS (1: call stacks, frame pointers)
import { execFileSync, spawn } from 'node:child_process'
import { CONFIGS } from './configs.mjs'
import {
  ensureDebianTool,
  nodeBinary,
  PINNED,
  runWrk,
  spawnServer,
  startDiscardingReceiver,
  takePort,
  waitForPort,
} from './lib.mjs'

const [name, out, secondsArg] = process.argv.slice(2)
const config = CONFIGS.find((c) => c.name === name)
if (config === undefined || out === undefined) {
  console.error('usage: node bench/perf-record.mjs "<configuration>" <out file> [seconds]')
  process.exit(2)
}
ensureDebianTool('perf', 'linux-perf')
const seconds = Number(secondsArg ?? 5)
const node = nodeBinary(process.env.BENCH_NODE ?? '24')
if (PINNED) execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' })
const receiver = await startDiscardingReceiver()
const port = await takePort()
const child = spawnServer(node, config, { port, receiverPort: receiver.port, nodeArgs: ['--perf-basic-prof'] })
try {
  await waitForPort(port, config.path)
  await runWrk(port, 4, config.path)
  const perf = spawn(
    'perf',
    [
      'record',
      ...(process.env.PERF_STACKS === '1' ? ['-g'] : []),
      '-e',
      'cpu-clock',
      '-F',
      '4000',
      '-C',
      process.env.PERF_CORE ?? '0',
      '-o',
      out,
      '--',
      'sleep',
      String(seconds),
    ],
    { stdio: 'ignore' },
  )
  const load = await runWrk(port, seconds, config.path)
  await new Promise((resolve) => perf.once('exit', resolve))
  console.log(`${config.name}: ${Math.round(load.rps)} req/s, ${load.requests} requests; perf data in ${out}`)
} finally {
  child.kill('SIGTERM')
  await new Promise((resolve) => child.once('exit', resolve))
  receiver.close()
}
