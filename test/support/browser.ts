import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Where browser tests save their screenshots (gitignored; CI keeps them as artifacts). */
export const ARTIFACTS = new URL('../artifacts/', import.meta.url);

/**
 * Debian's chromium (scripts/ensure-deps.sh --test-tools installs it): playwright-core cannot
 * download a browser here. Missing is an error, never a skip: the console is tested in a real
 * browser or not at all.
 */
function chromiumPath(): string {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    } catch {}
  }
  throw new Error(
    'no chromium on PATH: run `bash scripts/ensure-deps.sh --test-tools` (apt-get install chromium)',
  );
}

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: chromiumPath(),
    // As root (CI here) Chromium refuses its sandbox; /dev/shm is small in containers.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}
