import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryRepository } from '@baton/store';
import { chooseProfiles } from './profiles.js';

const withProfiles = (...names: string[]) => {
  const repo = new MemoryRepository();
  for (const profile of names) repo.beginRun({ profile, start: { seconds: 0, nanos: 0 } });
  return repo;
};

describe('chooseProfiles', () => {
  it('uses the chosen profile, the only one, or the default in an empty repository', () => {
    assert.deepEqual(chooseProfiles(withProfiles('a', 'b'), 'b', false), ['b']);
    assert.deepEqual(chooseProfiles(withProfiles('py311'), undefined, false), ['py311']);
    assert.deepEqual(chooseProfiles(withProfiles(), undefined, false), ['default']);
  });

  it('refuses to pick among several, unless all are wanted', () => {
    assert.throws(() => chooseProfiles(withProfiles('py312', 'py311'), undefined, false), {
      code: 'BATON_CLI_PROFILE_AMBIGUOUS',
      message: 'the repository holds results of 2 profiles: py311, py312; choose one with --profile (or use --json to see all)',
    });
    assert.deepEqual(chooseProfiles(withProfiles('py312', 'py311'), undefined, true), ['py311', 'py312']);
  });
});
