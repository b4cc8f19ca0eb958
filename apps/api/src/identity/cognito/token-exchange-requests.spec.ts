import { describe, expect, it } from 'vitest';
import { answerTokenExchangeInput, startTokenExchangeInput } from './token-exchange-requests.js';

const target = { userPoolId: 'eu-west-1_target', region: 'eu-west-1', clientId: 'target-gatehouse' };

describe(startTokenExchangeInput.name, () => {
  it('starts Cognito’s custom flow as an administrator on the target’s Gatehouse client, with the username and its SECRET_HASH only', () => {
    expect(startTokenExchangeInput(target, 'opaque-ann', 'hash==')).toEqual({
      UserPoolId: 'eu-west-1_target',
      ClientId: 'target-gatehouse',
      AuthFlow: 'CUSTOM_AUTH',
      AuthParameters: { USERNAME: 'opaque-ann', SECRET_HASH: 'hash==' },
    });
  });
});

describe(answerTokenExchangeInput.name, () => {
  it('answers the CUSTOM_CHALLENGE with the session and the answer in ANSWER, naming the same user and client', () => {
    expect(answerTokenExchangeInput(target, 'opaque-ann', 'hash==', 'session-1', 'v1.1.mac')).toEqual({
      UserPoolId: 'eu-west-1_target',
      ClientId: 'target-gatehouse',
      ChallengeName: 'CUSTOM_CHALLENGE',
      Session: 'session-1',
      ChallengeResponses: { USERNAME: 'opaque-ann', SECRET_HASH: 'hash==', ANSWER: 'v1.1.mac' },
    });
  });
});
