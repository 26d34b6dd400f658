/**
 * @module deploy/types
 * The shapes of Prometheus rule files, as `promtool check rules` reads them.
 */

export interface RecordingRule {
  record: string
  expr: string
  labels?: Record<string, string>
}

export interface AlertingRule {
  alert: string
  expr: string
  for: string
  /** `severity` always; SLO alerts add the objective (`slo`, `slo_objective`, ...). */
  labels: { severity: 'critical' | 'warning'; [label: string]: string }
  annotations: { summary: string; description: string; runbook: string; runbook_url: string }
}

export interface RuleGroup {
  name: string
  interval?: string
  rules: (RecordingRule | AlertingRule)[]
}

export interface RuleFile {
  groups: RuleGroup[]
}
