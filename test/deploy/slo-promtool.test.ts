/**
 * @module test/deploy/slo-promtool
 * The objectives' rules as promtool sees them: valid, their generated unit tests pass (a 20× burn
 * pages, a 2× burn only raises a ticket after hours, 0.5× stays silent, a latency regression
 * pages), and those tests notice a wrong burn-rate factor, a shortened `for:` or a wrong window.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { parse, stringify } from 'yaml'
import { DEPLOY, PROMTOOL, readDeploy, run } from './tools.js'

const RULES = 'prometheus/rules/sightline-slo.yml'
const TESTS = ['prometheus/tests/sightline-slo.test.yml', 'prometheus/tests/sightline-slo-days.test.yml']
/** promtool evaluates days of 3 d and 30 d windows; on a loaded machine that takes a while. */
const SLOW = 170_000

describe('promtool: service-level objectives', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'sightline-slo-promtool-'))
  after(() => rmSync(scratch, { recursive: true, force: true }))

  test('check rules: the SLO rule file is valid', () => {
    const result = run(PROMTOOL, ['check', 'rules', RULES])
    assert.equal(result.status, 0, result.output)
    assert.match(result.output, /SUCCESS: 30 rules found/)
  })

  for (const file of TESTS) {
    test(`test rules: ${file} passes`, () => {
      const result = run(PROMTOOL, ['test', 'rules', file], DEPLOY, SLOW)
      assert.equal(result.status, 0, result.output)
      assert.match(result.output, /SUCCESS/)
    })
  }

  test('the unit tests catch a wrong factor, a shortened for: and a swapped window', () => {
    const rules = readFileSync(join(DEPLOY, RULES), 'utf8')
    // Each mutant against the one case that must catch it (all of them would take minutes).
    const mutants: [string, string, string, string][] = [
      // From a fresh start the 6 h condition pages too; after clean hours only 14.4× over 1 h can.
      ['page factor 14.4 → 30', rules.replaceAll('> 14.4 *', '> 30 *'), TESTS[0] as string, 'after 6 clean hours'],
      ['page for: 2m → 0m', rules.replaceAll('for: 2m', 'for: 0m'), TESTS[0] as string, 'from the first minute'],
      [
        'page long window 1h → 5m',
        rules.replaceAll('ratio_rate1h{', 'ratio_rate5m{'),
        TESTS[0] as string,
        'after 6 clean hours',
      ],
      ['ticket factor 1 → 2', rules.replaceAll('> 1 *', '> 2 *'), TESTS[1] as string, '2× burn'],
      [
        'latency threshold bucket 0.25 → 0.5',
        rules.replaceAll('le="0.25"', 'le="0.5"'),
        TESTS[0] as string,
        'patient-read-latency',
      ],
    ]
    for (const [name, mutant, tests, only] of mutants) {
      assert.notEqual(mutant, rules, `mutation ${name} did not apply`)
      const dir = mkdtempSync(join(scratch, 'mutant-'))
      writeFileSync(join(dir, 'sightline-slo.yml'), mutant)
      const file = parse(readDeploy(tests)) as { rule_files: string[]; tests: { name: string }[] }
      file.rule_files = [join(dir, 'sightline-slo.yml')]
      file.tests = file.tests.filter((testCase) => testCase.name.includes(only))
      assert.equal(file.tests.length, 1, `${name}: no single case "${only}"`)
      writeFileSync(join(dir, 'tests.yml'), stringify(file, { lineWidth: 0 }))
      const result = run(PROMTOOL, ['test', 'rules', join(dir, 'tests.yml')], DEPLOY, SLOW)
      assert.equal(result.status, 1, `mutation ${name} went unnoticed:\n${result.output}`)
    }
  })
})
