// Prompts only fill gaps, only on a TTY. Without one (cron, pipes) a missing answer is a usage error.
import { UsageError } from '../errors.js';
import type { Choice, Prompter } from '../prompter.js';

export type { Choice, Prompter };

export function inquirerPrompter(output: NodeJS.WritableStream): Prompter {
  const context = { output: output as NodeJS.WriteStream };
  return {
    async input(message, options = {}) {
      const { input } = await import('@inquirer/prompts');
      return input({ message, default: options.default, validate: options.validate }, context);
    },
    async confirm(message, options = {}) {
      const { confirm } = await import('@inquirer/prompts');
      return confirm({ message, default: options.default }, context);
    },
    async select(message, choices, options = {}) {
      const { select } = await import('@inquirer/prompts');
      return select({ message, choices, default: options.default }, context);
    },
  };
}

/** Stands in when stdin is not a TTY: any attempt to ask says which flag answers it instead. */
export function refusingPrompter(hint: string): Prompter {
  const refuse = (message: string): never => {
    throw new UsageError(`This needs an answer ("${message}") but there is no terminal to ask on.`, hint);
  };
  return {
    input: async (message) => refuse(message),
    confirm: async (message) => refuse(message),
    select: async (message) => refuse(message),
  };
}
