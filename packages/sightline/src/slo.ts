/**
 * @module slo
 * `sightline/slo`: service-level objective declarations (availability and latency, per service or
 * route), validated once, for the operations kit's rule generator and the viewer. Re-exports only.
 */
export {
  errorBudget,
  MIN_WINDOW_DAYS,
  type Objective,
  parseObjectives,
  type ServiceObjectives,
  type SliKind,
  windowDays,
} from './core/objectives.js'
