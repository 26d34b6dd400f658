/**
 * @module deploy/rules
 * The Prometheus rule files, assembled from the recording and alerting rules. The same groups are
 * written to `deploy/prometheus/rules/` and wrapped into the Kubernetes `PrometheusRule`.
 */
import { ALERTS } from './alerts.js'
import { DATA_RECORDING_RULES, HTTP_RECORDING_RULES } from './recording-rules.js'
import { declaredObjectives } from './slo-declarations.js'
import { sloRuleGroups } from './slo-rules.js'
import type { RuleFile } from './types.js'

/** File name (under deploy/prometheus/rules/) → contents. */
export function ruleFiles(): Record<string, RuleFile> {
  return {
    'sightline-recording.yml': {
      groups: [
        { name: 'sightline-http-red', rules: HTTP_RECORDING_RULES },
        { name: 'sightline-data-layer', rules: DATA_RECORDING_RULES },
      ],
    },
    'sightline-alerts.yml': {
      groups: [{ name: 'sightline-alerts', rules: ALERTS }],
    },
    // Multi-window, multi-burn-rate rules of every declared objective (slo-rules.ts).
    'sightline-slo.yml': { groups: sloRuleGroups(declaredObjectives()) },
  }
}

/** A prometheus-operator `PrometheusRule` carrying every group of every rule file. */
export function prometheusRule(namespace: string): Record<string, unknown> {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: 'sightline',
      namespace,
      // The label a default kube-prometheus-stack install selects rules by.
      labels: { 'app.kubernetes.io/part-of': 'sightline', release: 'kube-prometheus-stack' },
    },
    spec: { groups: Object.values(ruleFiles()).flatMap((file) => file.groups) },
  }
}
