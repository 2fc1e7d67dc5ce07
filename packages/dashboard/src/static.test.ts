import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAILING_STATUSES } from '@baton/subunit';

test("the page counts as failing exactly the statuses @baton/subunit's FAILING_STATUSES names", async () => {
  const model = (await import(new URL('../static/model.js', import.meta.url).href)) as { FAILING: ReadonlySet<string> };
  assert.deepEqual([...model.FAILING].sort(), [...FAILING_STATUSES].sort());
});
