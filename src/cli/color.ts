// The one place colour is decided. chalk does not honour NO_COLOR itself, so it is checked here.
import { Chalk, supportsColor, type ChalkInstance } from 'chalk';

export interface ColorDecisionInput {
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  /** --color / --no-color; undefined when not given. */
  flag?: boolean;
}

export function colorLevel({ isTTY, env, flag }: ColorDecisionInput): 0 | 1 | 2 | 3 {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  if (flag === false) return 0;
  const force = env.FORCE_COLOR;
  if (flag === true || (force !== undefined && force !== '0' && force !== 'false')) {
    return supportsColor ? (Math.max(1, supportsColor.level) as 1 | 2 | 3) : 1;
  }
  if (force === '0' || force === 'false') return 0;
  if (!isTTY || env.TERM === 'dumb') return 0;
  return supportsColor ? (Math.max(1, supportsColor.level) as 1 | 2 | 3) : 1;
}

export function makeChalk(input: ColorDecisionInput): ChalkInstance {
  return new Chalk({ level: colorLevel(input) });
}
