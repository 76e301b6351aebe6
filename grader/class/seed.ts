/**
 * Each student's seed derives from the class seed and the student id, so regrading a student —
 * alone with --only, or with the whole class — gives them exactly the same inputs, while two
 * students never share inputs (nobody can copy a neighbour's transcript).
 */
import { createHash } from 'node:crypto';

/** A whole number below 2^48, which `--seed` accepts, so a student can reproduce their run. */
export function studentSeed(classSeed: number, studentId: string): number {
  const digest = createHash('sha256').update(`socklab/${classSeed}/${studentId}`).digest();
  return digest.readUIntBE(0, 6);
}
