import { describe, expect, it } from 'vitest';
import {
  type MoveSide,
  canCancel,
  forwardStepsFor,
  initialMoveState,
  movePhase,
  moveProgress,
  needsRunner,
  nextMoveStep,
  otherSide,
  parseMoveState,
} from './tier-move-state.js';

const now = new Date('2026-12-01T12:00:00Z');
const side = (model: MoveSide['model'], tier: string): MoveSide => ({
  tier,
  model,
  region: 'eu-west-1',
  userPoolId: model === 'silo' ? null : `pool-${tier}`,
  issuer: model === 'silo' ? null : `https://issuer.test/${tier}`,
  clientId: null,
  gatehouseClientId: null,
});
const fresh = (to: MoveSide['model'] = 'silo') =>
  initialMoveState({ tier: 'premium', unmigratedUsers: 'keep_source', acceptMfaReenrolment: false }, side('pool', 'basic'), side(to, 'premium'), now);

describe(forwardStepsFor.name, () => {
  it('creates what each target model needs, then the same copy, cut-over, drain and removal', () => {
    expect(forwardStepsFor('silo')).toEqual([
      'create_target_pool',
      'create_target_clients',
      'create_target_groups',
      'create_target_providers',
      'copy_users',
      'cut_over',
      'drain_source',
      'remove_source',
      'finish',
    ]);
    expect(forwardStepsFor('bridge')).toEqual(['create_target_clients', 'create_target_providers', 'copy_users', 'cut_over', 'drain_source', 'remove_source', 'finish']);
    // A pool-model target cannot federate (a tenant with providers is refused at request time): no provider step.
    expect(forwardStepsFor('pool')).toEqual(['copy_users', 'cut_over', 'drain_source', 'remove_source', 'finish']);
  });
});

describe(nextMoveStep.name, () => {
  it('walks the forward steps, and the rollback steps once cancelled', () => {
    const sut = fresh('bridge');
    expect(nextMoveStep(sut)).toBe('create_target_clients');
    sut.done = { create_target_clients: 'x' };
    expect(nextMoveStep(sut)).toBe('create_target_providers');
    sut.done = { ...sut.done, create_target_providers: 'x' };
    expect(nextMoveStep(sut)).toBe('copy_users');
    sut.cancelled = true;
    expect(nextMoveStep(sut)).toBe('rollback_users');
    sut.done = { ...sut.done, rollback_users: 'x', rollback_clients: 'x' };
    // The target's providers go after its clients (a client listing a provider is gone first), before its pool.
    expect(nextMoveStep(sut)).toBe('rollback_providers');
    sut.done = { ...sut.done, rollback_providers: 'x', rollback_pool: 'x', rollback_finish: 'x' };
    expect(nextMoveStep(sut)).toBeUndefined();
  });
});

describe(otherSide.name, () => {
  it('is the target before cut-over, the source after it until removed, nothing once ended', () => {
    const sut = fresh('pool');
    expect(otherSide(sut)).toMatchObject({ tier: 'premium', direction: 'target' });
    sut.done = { copy_users: 'x', cut_over: 'x' };
    expect(otherSide(sut)).toMatchObject({ tier: 'basic', direction: 'source' });
    sut.done.remove_source = 'x';
    expect(otherSide(sut)).toBeNull();
    expect(otherSide(null)).toBeNull();
  });

  it('keeps a cancelled move’s target trusted (never signed in to) until its clients are removed', () => {
    const sut = { ...fresh('bridge'), cancelled: true };
    expect(otherSide(sut)).toMatchObject({ direction: 'abandoned' });
    sut.done = { rollback_users: 'x', rollback_clients: 'x' };
    expect(otherSide(sut)).toBeNull();
  });
});

describe(canCancel.name, () => {
  it('allows a cancel only before cut-over', () => {
    const sut = fresh();
    expect(canCancel(sut)).toBe(true);
    sut.done = { cut_over: 'x' };
    expect(canCancel(sut)).toBe(false);
  });
});

describe(needsRunner.name, () => {
  it('wants a runner for an expired lease or a wait that is over, never for a failed or ended move', () => {
    const leased = { ...fresh(), lease: { owner: 'a', until: '2026-12-01T12:01:00Z' } };
    expect(needsRunner(leased, now)).toBe(false);
    expect(needsRunner(leased, new Date('2026-12-01T12:02:00Z'))).toBe(true);
    const waiting = { ...fresh(), waitUntil: '2026-12-01T12:05:00Z' };
    expect(needsRunner(waiting, now)).toBe(false);
    expect(needsRunner(waiting, new Date('2026-12-01T12:05:00Z'))).toBe(true);
    expect(needsRunner({ ...fresh(), lastError: { step: 'copy_users', code: 'x', message: 'x', at: 'x' } }, now)).toBe(false);
    expect(needsRunner({ ...fresh(), done: { finish: 'x' } }, now)).toBe(false);
  });
});

describe(movePhase.name, () => {
  it('names what the move is doing', () => {
    expect(movePhase({ ...fresh(), lease: { owner: 'a', until: '2026-12-01T12:01:00Z' } }, now)).toBe('running');
    expect(movePhase({ ...fresh(), lease: { owner: 'a', until: '2026-12-01T11:59:00Z' } }, now)).toBe('stalled');
    expect(movePhase(fresh(), now)).toBe('waiting');
    expect(movePhase({ ...fresh(), lastError: { step: 'cut_over', code: 'x', message: 'x', at: 'x' } }, now)).toBe('failed');
    expect(movePhase({ ...fresh(), done: { finish: 'x' } }, now)).toBe('moved');
    expect(movePhase({ ...fresh(), cancelled: true, done: { rollback_finish: 'x' } }, now)).toBe('cancelled');
  });
});

describe(moveProgress.name, () => {
  it('shows operators the target’s hosted UI domain once the providers are there (their IdPs must accept it)', () => {
    expect(moveProgress(fresh('bridge'), now).targetHostedUiDomain).toBeNull();
    const withProviders = { ...fresh('bridge'), federation: { targetDomain: 'gh-std', pending: ['acme-ad'], created: ['acme-ad'] } };
    expect(moveProgress(withProviders, now).targetHostedUiDomain).toBe('gh-std');
  });
});

describe(parseMoveState.name, () => {
  it('reads a stored state back, and nothing from an empty or foreign value', () => {
    const stored = JSON.parse(JSON.stringify(fresh())) as unknown;
    expect(parseMoveState(stored)).toEqual(fresh());
    const federation = { targetDomain: 'gh-acme', pending: ['acme-ad'], created: ['acme-ad'] };
    expect(parseMoveState(JSON.parse(JSON.stringify({ ...fresh(), federation })))?.federation).toEqual(federation);
    // A state written before the provider step existed reads as "nothing re-created yet".
    const { federation: _absent, ...older } = fresh();
    expect(parseMoveState(JSON.parse(JSON.stringify(older)))?.federation).toBeNull();
    expect(parseMoveState(null)).toBeNull();
    expect(parseMoveState({})).toBeNull();
  });
});
