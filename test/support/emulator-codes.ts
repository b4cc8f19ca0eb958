/**
 * Codes the Cognito emulator would have e-mailed (confirmation, reset,
 * temporary passwords): it writes them to its log, which the local stack keeps
 * in a file. Polls briefly because the log is written asynchronously.
 */
import { readFile } from 'node:fs/promises';
import { parseCodeDeliveries } from '../../tools/local-stack/cognito.js';
import { stackInfo } from './database.js';

export async function latestCode(username: string, target: 'SignUp' | 'ForgotPassword' | 'AdminCreateUser' | string): Promise<string> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const log = await readFile(stackInfo().cognitoLogFile, 'utf8').catch(() => '');
    const delivery = parseCodeDeliveries(log)
      .filter((entry) => entry.username === username && entry.target === target)
      .at(-1);
    if (delivery) return delivery.code;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const log = await readFile(stackInfo().cognitoLogFile, 'utf8').catch(() => '');
  const at = log.lastIndexOf(username);
  const context = at >= 0 ? log.slice(Math.max(0, at - 400), at + 400) : '(username not in the log)';
  throw new Error(`no ${target} code for ${username} in ${stackInfo().cognitoLogFile}:\n${context}`);
}
