/**
 * @module deploy
 * The operations kit's code: metric names, rules, dashboards and the generator.
 */
export { ALERTS, RUNBOOK_BASE, THRESHOLDS } from './alerts.js'
export { dashboardQueries, dashboards } from './dashboards.js'
export { generatedFiles, NAMESPACE } from './generate.js'
export * from './names.js'
export * from './recording-rules.js'
export { prometheusRule, ruleFiles } from './rules.js'
export { declaredObjectives, objectivesFromYaml, SLO_FILES } from './slo-declarations.js'
export * from './slo-rules.js'
export type { AlertingRule, RecordingRule, RuleFile, RuleGroup } from './types.js'
