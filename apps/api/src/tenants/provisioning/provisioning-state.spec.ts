import { describe, expect, it } from 'vitest';
import { initialState, leaseIsLive, nextStep, nextTeardownStep, parseState, phaseOf, progress } from './provisioning-state.js';

const now = new Date('2026-11-22T12:00:00Z');
const fresh = () => initialState({ firstAdminEmail: 'admin@acme.test' }, now);

describe(nextStep.name, () => {
  it('walks each model’s steps in order and ends after activation', () => {
    const sut = fresh();
    expect(nextStep('silo', sut)).toBe('create_pool');
    expect(nextStep('bridge', sut)).toBe('create_app_client');
    expect(nextStep('pool', sut)).toBe('invite_admin');
    sut.done = { invite_admin: 'x', mirror_admin: 'x' };
    expect(nextStep('pool', sut)).toBe('activate');
    sut.done.activate = 'x';
    expect(nextStep('pool', sut)).toBeUndefined();
  });

  it('tears down in order: users, client, pool, rows', () => {
    const sut = { ...fresh(), teardown: true, done: { delete_users: 'x' } };
    expect(nextTeardownStep(sut)).toBe('delete_app_client');
  });
});

describe(parseState.name, () => {
  it('fills defaults for an empty column', () => {
    expect(parseState({})).toMatchObject({ version: 0, attempt: 1, done: {}, created: {}, lease: null, teardown: false });
  });
});

describe(leaseIsLive.name, () => {
  it('is live only before its end', () => {
    const sut = { ...fresh(), lease: { owner: 'a', until: '2026-11-22T12:01:00Z' } };
    expect(leaseIsLive(sut, now)).toBe(true);
    expect(leaseIsLive(sut, new Date('2026-11-22T12:02:00Z'))).toBe(false);
    expect(leaseIsLive(fresh(), now)).toBe(false);
  });
});

describe(progress.name, () => {
  it('lists every step of the model with its completion', () => {
    const sut = { ...fresh(), done: { create_app_client: '2026-11-22T12:00:01Z' } };
    expect(progress('bridge', sut).steps.slice(0, 2)).toEqual([
      { name: 'create_app_client', done: true, doneAt: '2026-11-22T12:00:01Z' },
      { name: 'create_gatehouse_client', done: false, doneAt: null },
    ]);
  });
});

describe(phaseOf.name, () => {
  it('says running while the lease lives, stalled once it expired with work left, failed on an error', () => {
    const leased = { ...fresh(), lease: { owner: 'a', until: '2026-11-22T12:01:00Z' } };
    expect(phaseOf(leased, now)).toBe('running');
    expect(phaseOf(leased, new Date('2026-11-22T12:02:00Z'))).toBe('stalled');
    expect(phaseOf({ ...leased, lease: null, lastError: { step: 'invite_admin', code: 'x', message: 'x', at: 'x' } }, now)).toBe('failed');
    expect(phaseOf(fresh(), now)).toBe('idle');
  });
});
