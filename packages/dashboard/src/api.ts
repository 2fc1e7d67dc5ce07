// The read-only REST API over a repository: every endpoint is a GET that answers JSON,
// and none of them changes what the repository holds. The README documents each one.
import { DEFAULT_PROFILE, type StoredRun, type SqliteRepository } from '@baton/store';
import { badParam, notFound } from './errors.js';
import { historyJson, resultJson, runJson } from './json.js';
import { Params } from './params.js';
import { layoutRun } from './timeline.js';
import { traceJson } from './trace.js';

/** What an endpoint answers: a status, a body and its type. */
export interface ApiResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Largest pages, so that one request cannot ask the server for everything at once. */
const MAX_RUNS_PAGE = 500;
const MAX_RESULTS_PAGE = 10_000;
const MAX_LIST = 1000;
/** Runs the flaky-test query looks back over unless told otherwise. */
const FLAKY_RUNS = 20;

const JSON_TYPE = 'application/json; charset=utf-8';

const json = (value: unknown, headers?: Record<string, string>): ApiResponse =>
  ({ status: 200, contentType: JSON_TYPE, body: JSON.stringify(value), ...(headers ? { headers } : {}) });

/** The endpoints, for the message of a path that matches none. */
const ENDPOINTS = [
  '/api/info', '/api/profiles', '/api/runs', '/api/runs/{id|latest}', '/api/runs/{id}/timeline', '/api/runs/{id}/trace',
  '/api/tests/{test id}', '/api/slowest', '/api/failing', '/api/flaky', '/api/timings', '/api/live',
];

/**
 * Answers the API's requests from a repository. `live` says whether a run is being
 * watched (`baton run --serve`), whose events `/api/live` streams (the server answers
 * that one itself).
 */
export class Api {
  constructor(
    private readonly repo: SqliteRepository,
    private readonly live: boolean,
  ) {}

  /**
   * The answer to `GET path?search` (`path` starting with `/api/`). Throws a
   * DashboardError (or the repository's StoreError) for anything but a 200.
   */
  get(path: string, search: URLSearchParams): ApiResponse {
    const parts = path.split('/').slice(2).map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        throw badParam(`${path}: ${JSON.stringify(p)} is not percent-encoded UTF-8`);
      }
    });
    const [resource, id, sub, ...rest] = parts;
    const params = (allowed: readonly string[]) => new Params(path, search, allowed);
    if (rest.length === 0) {
      switch (resource) {
        case 'info':
          if (id === undefined) return this.info(params([]));
          break;
        case 'profiles':
          if (id === undefined) return this.profiles(params([]));
          break;
        case 'runs':
          if (id === undefined) return this.runs(params(['profile', 'before', 'limit']));
          if (sub === undefined) return this.run(id, params(['profile', 'offset', 'limit', 'status', 'test']));
          if (sub === 'timeline') return this.timeline(id, params(['profile']));
          if (sub === 'trace') return this.trace(id, params(['profile']));
          break;
        case 'tests':
          if (id !== undefined && id !== '' && sub === undefined) return this.test(id, params(['profile']));
          break;
        case 'slowest':
          if (id === undefined) return this.slowest(params(['profile', 'run', 'limit']));
          break;
        case 'failing':
          if (id === undefined) return this.failing(params(['profile']));
          break;
        case 'flaky':
          if (id === undefined) return this.flaky(params(['profile', 'runs', 'limit']));
          break;
        case 'timings':
          if (id === undefined) return this.timings(params(['profile', 'offset', 'limit']));
          break;
      }
    }
    throw notFound(`no such endpoint: ${path} (the API has ${ENDPOINTS.join(', ')})`);
  }

  // Params of endpoints that take none are read all the same: an unknown one is a 400.
  private info(_: Params): ApiResponse {
    const stats = this.repo.stats();
    const latest = this.repo.runPage({ limit: 1 })[0];
    return json({
      live: this.live,
      runs: stats.runs,
      results: stats.results,
      tests: stats.tests,
      profiles: stats.profiles.map((p) => p.name),
      latestRun: latest === undefined ? null : { id: latest.id, profile: latest.profile },
    });
  }

  private profiles(_: Params): ApiResponse {
    return json({ profiles: this.repo.profiles() });
  }

  private runs(p: Params): ApiResponse {
    const limit = p.int('limit', 1, MAX_RUNS_PAGE, 50);
    const runs = this.repo.runPage({ profile: p.string('profile'), before: p.int('before', 1, Number.MAX_SAFE_INTEGER), limit });
    return json({ runs: runs.map(runJson), next: runs.length === limit ? runs[runs.length - 1]!.id : null });
  }

  private run(id: string, p: Params): ApiResponse {
    const run = this.findRun(id, p);
    const offset = p.int('offset', 0, Number.MAX_SAFE_INTEGER, 0);
    const limit = p.int('limit', 1, MAX_RESULTS_PAGE, 1000);
    const page = this.repo.resultPage(run.id, { offset, limit, statuses: p.statuses('status'), testId: p.string('test') });
    return json({ run: runJson(run), total: page.total, offset, limit, results: page.results.map((r) => resultJson(r)) });
  }

  private timeline(id: string, p: Params): ApiResponse {
    const run = this.findRun(id, p);
    return json(layoutRun(this.repo, run));
  }

  private trace(id: string, p: Params): ApiResponse {
    const run = this.findRun(id, p);
    return {
      status: 200,
      contentType: JSON_TYPE,
      body: traceJson(layoutRun(this.repo, run)),
      headers: { 'content-disposition': `attachment; filename="baton-run-${run.id}.trace.json"` },
    };
  }

  private test(testId: string, p: Params): ApiResponse {
    const chosen = p.string('profile');
    const entries = this.repo.history(testId, chosen);
    if (entries.length === 0) throw notFound(`no results for test ${JSON.stringify(testId)}${chosen === undefined ? '' : ` in profile ${chosen}`}`);
    const profiles: Record<string, { estimate: number | null; results: unknown[] }> = {};
    for (const e of entries) {
      const entry = (profiles[e.profile] ??= { estimate: this.repo.estimates([testId], e.profile).known.get(testId) ?? null, results: [] });
      entry.results.push(historyJson(e));
    }
    return json({ testId, profiles });
  }

  private slowest(p: Params): ApiResponse {
    const limit = p.int('limit', 1, MAX_LIST, 10);
    const id = p.int('run', 1, Number.MAX_SAFE_INTEGER);
    const run = id === undefined ? this.repo.latestRun(this.profile(p, '/api/slowest')) : this.findRun(String(id), p);
    return json({ run: run ? runJson(run) : null, slowest: run ? this.repo.slowest(run.id, limit) : [] });
  }

  private failing(p: Params): ApiResponse {
    const profile = this.profile(p, '/api/failing');
    return json({ profile, failing: this.repo.failing(profile).map((f) => ({ testId: f.testId, result: f.result ? resultJson(f.result) : null })) });
  }

  private flaky(p: Params): ApiResponse {
    const profile = this.profile(p, '/api/flaky');
    const runs = p.int('runs', 2, MAX_LIST, FLAKY_RUNS);
    return json({ profile, runs, flaky: this.repo.flaky(profile, runs, p.int('limit', 1, MAX_LIST, 50)) });
  }

  private timings(p: Params): ApiResponse {
    const profile = this.profile(p, '/api/timings');
    const offset = p.int('offset', 0, Number.MAX_SAFE_INTEGER, 0);
    const limit = p.int('limit', 1, MAX_RESULTS_PAGE, 100);
    const all = Object.entries(this.repo.exportTimings([profile]).profiles[profile] ?? {})
      .sort(([a, x], [b, y]) => (y.estimate ?? -1) - (x.estimate ?? -1) || (a < b ? -1 : a > b ? 1 : 0));
    const timings = all.slice(offset, offset + limit).map(([testId, t]) => ({
      testId, estimate: t.estimate ?? null, last: t.last ?? null, count: t.count, failures: t.failures, lastStatus: t.lastStatus,
    }));
    return json({ profile, total: all.length, offset, limit, timings });
  }

  /** A run by id, or the latest one (of `?profile=` if given). */
  private findRun(id: string, p: Params): StoredRun {
    const profile = p.string('profile');
    if (id === 'latest') {
      const run = profile === undefined ? this.repo.runPage({ limit: 1 })[0] : this.repo.latestRun(profile);
      if (run === undefined) throw notFound(`the repository holds no runs${profile === undefined ? '' : ` of profile ${profile}`} yet`);
      return run;
    }
    if (!/^\d+$/.test(id) || !Number.isSafeInteger(Number(id))) throw badParam(`a run id is a whole number or "latest", not ${JSON.stringify(id)}`);
    const run = this.repo.run(Number(id));
    if (run === undefined || (profile !== undefined && run.profile !== profile)) {
      throw notFound(`no run ${id} in the repository${profile === undefined ? '' : ` with profile ${profile}`}`);
    }
    return run;
  }

  /** `?profile=`, or the repository's only profile; with several, the caller must choose. */
  private profile(p: Params, endpoint: string): string {
    const chosen = p.string('profile');
    if (chosen !== undefined) return chosen;
    const names = this.repo.profiles().map((x) => x.name);
    if (names.length <= 1) return names[0] ?? DEFAULT_PROFILE;
    throw badParam(`${endpoint}: the repository holds ${names.length} profiles (${names.join(', ')}): choose one with ?profile=`);
  }
}
