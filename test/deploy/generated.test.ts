/**
 * @module test/deploy/generated
 * The committed rule files, rule tests, PrometheusRule and dashboards are exactly what the code
 * generates (`npm run deploy:generate`), and the dashboards are well-formed.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import {
  DATASOURCE_JAEGER_UID,
  DATASOURCE_PROMETHEUS_UID,
  dashboards,
  generatedFiles,
  ruleFiles,
} from '@sightline/deploy'
import { parse } from 'yaml'
import { ROOT, yamlOf } from './tools.js'

describe('generated deploy files', () => {
  for (const [path, contents] of Object.entries(generatedFiles())) {
    test(`${path} is up to date (run npm run deploy:generate)`, () => {
      assert.equal(readFileSync(join(ROOT, path), 'utf8'), contents)
    })
  }

  test('the PrometheusRule carries every group of the rule files', () => {
    const rule = yamlOf<{ spec: { groups: { name: string; rules: unknown[] }[] } }>('kubernetes/prometheusrule.yaml')
    const fromFiles = Object.keys(ruleFiles()).flatMap(
      (file) => yamlOf<{ groups: unknown[] }>(`prometheus/rules/${file}`).groups,
    )
    assert.deepEqual(rule.spec.groups, fromFiles)
  })

  test('dashboards: unique panel ids, the provisioned datasource, exemplars on latency panels', () => {
    for (const [file, board] of Object.entries(dashboards())) {
      const ids = board.panels.map((panel) => panel.id)
      assert.equal(new Set(ids).size, ids.length, `${file}: duplicate panel ids`)
      for (const panel of board.panels) {
        for (const target of panel.targets ?? []) assert.equal(target.datasource.uid, DATASOURCE_PROMETHEUS_UID)
        assert.ok(panel.gridPos.x + panel.gridPos.w <= 24, `${file}/${panel.title} is wider than the grid`)
      }
    }
    const overview = dashboards()['sightline-overview.json']
    const titles = overview?.panels.map((panel) => panel.title) ?? []
    for (const wanted of [
      'Request rate',
      'Error rate (5xx share)',
      'Latency p50 / p95 / p99',
      'DB query time p95',
      'Cache hit rate',
      'Event-loop delay',
      'CPU',
      'Memory',
      'DB pool usage',
      'Routes',
      'Readiness checks',
    ]) {
      assert.ok(titles.includes(wanted), `overview lacks the ${wanted} panel`)
    }
    const latency = overview?.panels.find((panel) => panel.title === 'Latency p50 / p95 / p99')
    assert.equal(latency?.targets?.length, 3)
    assert.ok(latency?.targets?.every((target) => target.exemplar === true))
  })

  test('Grafana provisioning: the datasource uids the dashboards use, exemplars linked to Jaeger', () => {
    const provisioning = parse(
      readFileSync(join(ROOT, 'deploy/grafana/provisioning/datasources/datasources.yml'), 'utf8'),
    ) as { datasources: { uid: string; type: string; jsonData?: Record<string, unknown> }[] }
    const prometheus = provisioning.datasources.find((source) => source.uid === DATASOURCE_PROMETHEUS_UID)
    assert.equal(prometheus?.type, 'prometheus')
    assert.deepEqual(prometheus?.jsonData?.exemplarTraceIdDestinations, [
      { name: 'trace_id', datasourceUid: DATASOURCE_JAEGER_UID },
    ])
    assert.equal(provisioning.datasources.find((source) => source.uid === DATASOURCE_JAEGER_UID)?.type, 'jaeger')
  })
})
