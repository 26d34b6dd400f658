/**
 * @module test/deploy/promtool
 * The Prometheus side of the kit as promtool sees it: the config and rule files are valid, every
 * alert's unit tests pass, and those tests would catch a broken threshold or `for:`.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { ALERTS } from '@sightline/deploy'
import { DEPLOY, PROMTOOL, readDeploy, run } from './tools.js'

const RULE_FILES = ['prometheus/rules/sightline-recording.yml', 'prometheus/rules/sightline-alerts.yml']
const TEST_FILE = 'prometheus/tests/sightline-alerts.test.yml'

describe('promtool', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'sightline-promtool-'))
  after(() => rmSync(scratch, { recursive: true, force: true }))

  test('check config: prometheus.yml is valid, with the rule files it loads', () => {
    const result = run(PROMTOOL, ['check', 'config', 'prometheus/prometheus.yml'])
    assert.equal(result.status, 0, result.output)
    // In the container the rules sit at /etc/prometheus/rules; point a copy at the repository's
    // so check config also loads and validates every rule file.
    const config = readDeploy('prometheus/prometheus.yml').replace(
      '/etc/prometheus/rules/*.yml',
      join(DEPLOY, 'prometheus/rules/*.yml'),
    )
    writeFileSync(join(scratch, 'prometheus.yml'), config)
    const withRules = run(PROMTOOL, ['check', 'config', join(scratch, 'prometheus.yml')])
    assert.equal(withRules.status, 0, withRules.output)
    assert.match(withRules.output, /SUCCESS: 12 rules found/)
    assert.match(withRules.output, new RegExp(`SUCCESS: ${ALERTS.length} rules found`))
  })

  test('check rules: every rule file is valid', () => {
    const result = run(PROMTOOL, ['check', 'rules', ...RULE_FILES])
    assert.equal(result.status, 0, result.output)
  })

  test('test rules: every alert fires above its threshold, stays quiet below, respects for:', () => {
    const result = run(PROMTOOL, ['test', 'rules', TEST_FILE])
    assert.equal(result.status, 0, result.output)
    assert.match(result.output, /SUCCESS/)
    const tested = new Set([...readDeploy(TEST_FILE).matchAll(/alertname: (\w+)/g)].map((match) => match[1]))
    assert.deepEqual([...tested].sort(), ALERTS.map((alert) => alert.alert).sort(), 'an alert without unit tests')
  })

  test('the unit tests catch a loosened threshold and a shortened for:', () => {
    // Mutate the rules in a copy: the same tests must now fail, or they test nothing.
    const alerts = readFileSync(join(DEPLOY, RULE_FILES[1] as string), 'utf8')
    const mutants: [string, string][] = [
      ['threshold 5% → 20%', alerts.replace(/> 0\.05$/m, '> 0.2')],
      ['for: 5m → 1m', alerts.replaceAll('for: 5m', 'for: 1m')],
    ]
    for (const [name, mutant] of mutants) {
      assert.notEqual(mutant, alerts, `mutation ${name} did not apply`)
      const dir = mkdtempSync(join(scratch, 'mutant-'))
      writeFileSync(join(dir, 'sightline-alerts.yml'), mutant)
      writeFileSync(join(dir, 'sightline-recording.yml'), readFileSync(join(DEPLOY, RULE_FILES[0] as string)))
      const tests = readDeploy(TEST_FILE).replaceAll('../rules/', `${dir}/`)
      writeFileSync(join(dir, 'tests.yml'), tests)
      const result = run(PROMTOOL, ['test', 'rules', join(dir, 'tests.yml')])
      assert.equal(result.status, 1, `mutation ${name} went unnoticed:\n${result.output}`)
    }
  })
})
