export { DashboardError, type DashboardErrorCode } from './errors.js';
export { historyJson, isoJson, resultJson, runJson, type AttachmentJson, type ResultJson, type RunJson } from './json.js';
export { LiveFeed, LIVE_FLUSH_MS, type LiveResult, type LiveSubscriber } from './live.js';
export { startDashboard, type Dashboard, type DashboardOptions } from './server.js';
export { layoutRun, runBound, type RunBound, type Timeline, type TimelineMark, type TimelineProcess } from './timeline.js';
export { traceJson } from './trace.js';
