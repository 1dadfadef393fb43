import { createInterface } from 'node:readline/promises';
import type { TargetPlan } from '../storage/policy.ts';
import type { DatabaseService } from '../storage/service.ts';
import { printable } from '../storage/text.ts';
import { UsageError } from './command.ts';

/** Asks on the terminal; without one, the caller must pass --yes (a usage error otherwise). */
export async function confirm(question: string, yes: unknown, flag = '--yes'): Promise<boolean> {
  if (yes === true) return true;
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new UsageError(`This changes the database; run it again with ${flag} to confirm.`);
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${printable(question)} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/** Asks the core's question for going down a version (with what it removes and the backup). */
export function confirmPlan(s: DatabaseService, plan: TargetPlan, yes: unknown): Promise<boolean> {
  return confirm(
    `${plan.confirm!.question} ${plan.confirm!.detail} Database: ${s.path}. A backup is taken first.`,
    yes,
  );
}
