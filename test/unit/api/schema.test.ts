import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('api/schema.graphql', () => {
  it('is what the code prints, and every type, field, argument and enum value is described', () => {
    // Its own process: the schema and graphql's printer must come from the same graphql build.
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'api/print-schema.ts', '--check'], {
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
