/**
 * @module test/deploy/slo-declaration
 * docs/operations.md's declaration is doctor-api's slo.yaml, its code example runs, and the error
 * messages it quotes are the ones a mistake in that file produces.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { objectivesFromYaml, SLO_FILES, sloRuleGroups } from '@sightline/deploy'
import { parseObjectives } from 'sightline/slo'
import { parse, stringify } from 'yaml'
import { PROMTOOL, ROOT, run } from './tools.js'

const DOCS = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8')
const section = DOCS.slice(DOCS.indexOf('### Declaring an objective'), DOCS.indexOf('### What is generated'))
const blocks = (language: string) =>
  [...section.matchAll(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((match) => match[1] as string)
const FILE = SLO_FILES[0]
const fileText = readFileSync(join(ROOT, FILE), 'utf8')

describe('declaring an objective, as docs/operations.md shows it', () => {
  test('the documented YAML is doctor-api’s slo.yaml', () => {
    const [documented] = blocks('yaml')
    assert.ok(documented)
    assert.deepEqual(objectivesFromYaml(documented, FILE), objectivesFromYaml(fileText, FILE))
  })

  test('the code example builds rule groups', () => {
    const checkout = parseObjectives(
      {
        service: 'checkout',
        objectives: [{ name: 'orders', sli: 'availability', route: '/orders', objective: 99.5, window: '28d' }],
      },
      'checkout objectives',
    )
    const groups = sloRuleGroups([checkout])
    assert.deepEqual(
      groups.map((group) => group.name),
      ['sightline-slo-orders'],
    )
    // 28 days: its own factors (2% × 672 h ÷ 1 h), as the docs say.
    assert.match(JSON.stringify(groups), /> 13\.44 \* 0\.005/)
    assert.ok(
      blocks('ts')[0]?.includes(
        "objectives: [{ name: 'orders', sli: 'availability', route: '/orders', objective: 99.5, window: '28d' }]",
      ),
    )
  })

  test('each quoted error is what that mistake in the file produces', () => {
    const quoted = (blocks('text')[0] ?? '').trim().split('\n')
    assert.equal(quoted.length, 3)
    const declaration = parse(fileText) as { objectives: Record<string, unknown>[] }
    const mistakes: ((copy: typeof declaration) => void)[] = [
      (copy) => {
        const latency = copy.objectives[1] as Record<string, unknown>
        latency.treshold = latency.thresholdSeconds
      },
      (copy) => {
        ;(copy.objectives[0] as Record<string, unknown>).objective = 100
      },
      (copy) => {
        ;(copy.objectives[1] as Record<string, unknown>).thresholdSeconds = 0.3
      },
    ]
    mistakes.forEach((mistake, i) => {
      const copy = structuredClone(declaration)
      mistake(copy)
      assert.throws(() => objectivesFromYaml(stringify(copy), FILE), {
        code: 'SIGHTLINE_ERR_SLO_DECLARATION',
        message: quoted[i],
      })
    })
  })
})

describe('a whole-second latency threshold', () => {
  test('counts the bucket whether Prometheus stored le="1" (text format) or le="1.0" (OpenMetrics)', () => {
    // One service per spelling (each objective's rules select its job).
    const declarations = ['text', 'openmetrics'].map((job) =>
      parseObjectives({
        service: job,
        objectives: [{ name: `${job}-one-second`, sli: 'latency', thresholdSeconds: 1, objective: 99, window: '30d' }],
      }),
    )
    const dir = mkdtempSync(join(tmpdir(), 'sightline-slo-le-'))
    try {
      writeFileSync(join(dir, 'rules.yml'), stringify({ groups: sloRuleGroups(declarations) }, { lineWidth: 0 }))
      const bucket = (job: string, le: string, values: string) => ({
        series: `http_server_request_duration_seconds_bucket{job="${job}", http_route="/", le="${le}"}`,
        values,
      })
      const count = (job: string) => ({
        series: `http_server_request_duration_seconds_count{job="${job}", http_route="/"}`,
        values: '0+100x10',
      })
      // 80 of 100 requests a minute within 1 s, in both spellings: 20% slow either way.
      const tests = {
        rule_files: ['rules.yml'],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: [
              bucket('text', '1', '0+80x10'),
              bucket('text', '+Inf', '0+100x10'),
              count('text'),
              bucket('openmetrics', '1.0', '0+80x10'),
              bucket('openmetrics', '+Inf', '0+100x10'),
              count('openmetrics'),
            ],
            promql_expr_test: [
              {
                expr: 'round(slo:sli_error:ratio_rate5m, 0.001)',
                eval_time: '10m',
                exp_samples: ['openmetrics', 'text'].map((job) => ({
                  labels: `{job="${job}", slo="${job}-one-second", slo_sli="latency"}`,
                  value: 0.2,
                })),
              },
            ],
          },
        ],
      }
      writeFileSync(join(dir, 'tests.yml'), stringify(tests, { lineWidth: 0 }))
      const result = run(PROMTOOL, ['test', 'rules', 'tests.yml'], dir)
      assert.equal(result.status, 0, result.output)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
