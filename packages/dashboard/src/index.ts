export { Api, FLAKY_RUNS, MAX_LIST, MAX_RESULTS_PAGE, MAX_RUNS_PAGE, type ApiResponse } from './api.js';
export { DashboardError, HTTP_STATUS, type DashboardErrorCode } from './errors.js';
export { attachmentText, historyJson, isoJson, resultJson, runJson, type AttachmentJson, type ResultJson, type RunJson } from './json.js';
export { LiveFeed, LIVE_FLUSH_MS, liveEvent, type LiveResult, type LiveSubscriber } from './live.js';
export { startDashboard, type Dashboard, type DashboardOptions } from './server.js';
export { buildTimeline, laneOrder, layoutRun, NO_WORKER, runBound, type RunBound, type Timeline, type TimelineMark } from './timeline.js';
export { traceJson } from './trace.js';
