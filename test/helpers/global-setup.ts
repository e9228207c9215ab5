import type { TestProject } from 'vitest/node';
import { ensurePgliteTemplate, ensureServerTemplate } from './templates.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
    serverTemplate: string | null;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  project.provide('pgliteTemplate', await ensurePgliteTemplate());
  const url = process.env.TEST_DATABASE_URL;
  project.provide('serverTemplate', url ? await ensureServerTemplate(url) : null);
}
