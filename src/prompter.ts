// The questions domain code (the set-up wizard) may ask; the CLI answers them on a terminal (src/cli/prompt.ts).
export interface Choice<T> {
  name: string;
  value: T;
  description?: string;
}

/** The prompts a command may use; tests inject scripted answers. */
export interface Prompter {
  input(message: string, options?: { default?: string; validate?: (value: string) => true | string }): Promise<string>;
  confirm(message: string, options?: { default?: boolean }): Promise<boolean>;
  select<T>(message: string, choices: Choice<T>[], options?: { default?: T }): Promise<T>;
}
