import type { CanActivate, ExecutionContext } from '@nestjs/common';

/**
 * A guard that can also tell, synchronously and without I/O, that it lets a request through:
 * true only when canActivate would let it through; false when it would refuse, or would have to
 * wait for something (a database read, Redis) to know. Lets a route shortcut (@itn/fast-path)
 * run the very guards the router runs.
 */
export interface InMemoryGuard extends CanActivate {
  admitsFromMemory(context: ExecutionContext): boolean;
}

/**
 * admitsFromMemory for a guard whose canActivate decides without I/O: its answer, with a
 * refusal (thrown as an error for the router to answer) as false.
 */
export function admitsUnlessRefused(canActivate: () => boolean): boolean {
  try {
    return canActivate();
  } catch {
    return false;
  }
}
