// @module bench/cardinality
// N requests (default 1,000,000) to distinct unmatched URLs: the number of series must not move and
// the heap must not grow past a few MB. Returns the figures for run.mjs's report.
import { execFileSync, spawn } from 'node:child_process'
import { openSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))

async function get(url) {
  // After minutes of wrk traffic the server may have closed fetch's idle keep-alive socket: retry.
  for (let attempt = 1; ; attempt++) {
    try {
      return await (await fetch(url)).text()
    } catch (error) {
      if (attempt >= 3) throw error
    }
  }
}

function seriesCount(text) {
  return text.split('\n').filter((line) => line.length > 0 && !line.startsWith('#')).length
}

export async function cardinalityScenario(total = Number(process.env.BENCH_UNMATCHED ?? 1_000_000)) {
  const port = 33000 + Math.floor(Math.random() * 1000)
  const child = spawn(process.execPath, ['--expose-gc', join(here, 'servers', 'cardinality.mjs')], {
    env: { ...process.env, PORT: String(port), SIGHTLINE_RUNTIME_METRICS: 'false' },
    stdio: ['ignore', openSync('/dev/null', 'w'), 'inherit'],
  })
  const base = `http://127.0.0.1:${port}`
  try {
    for (let i = 0; ; i++) {
      try {
        await get(`${base}/__heap`)
        break
      } catch (error) {
        if (i > 200) throw error
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
    // Warm up so the baseline includes the series every request shares.
    execFileSync('wrk', ['-t1', '-c50', '-d1s', '-s', join(here, 'distinct-urls.lua'), base])
    const seriesBefore = seriesCount(await get(`${base}/metrics`))
    const heapBefore = JSON.parse(await get(`${base}/__heap`)).heapUsed
    let sent = 0
    while (sent < total) {
      const output = execFileSync('wrk', ['-t1', '-c50', '-d5s', '-s', join(here, 'distinct-urls.lua'), base], {
        encoding: 'utf8',
      })
      sent += Number(/(\d+) requests in/.exec(output)?.[1] ?? 0)
    }
    const seriesAfter = seriesCount(await get(`${base}/metrics`))
    const heapAfter = JSON.parse(await get(`${base}/__heap`)).heapUsed
    return { sent, seriesBefore, seriesAfter, heapGrowthMb: (heapAfter - heapBefore) / 1024 / 1024 }
  } finally {
    child.kill('SIGKILL')
  }
}

export function cardinalityMarkdown(result) {
  return [
    '## Cardinality and memory under distinct unmatched URLs',
    '',
    '| requests to distinct unmatched paths | series before | series after | heap growth (after full GC) |',
    '|---|---|---|---|',
    `| ${result.sent.toLocaleString('en')} | ${result.seriesBefore} | ${result.seriesAfter} | ${result.heapGrowthMb.toFixed(2)} MB |`,
    '',
  ]
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(cardinalityMarkdown(await cardinalityScenario()).join('\n'))
}
