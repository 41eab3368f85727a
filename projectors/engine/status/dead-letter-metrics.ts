import { Gauge, type Registry } from 'prom-client';
import type { Pool } from '../../../shared/clients/postgres.ts';
import { listNotKept } from './dead-letter-reads.ts';

/**
 * `vista_dead_letters_not_kept{projection, generation}`: poison events a current generation met
 * past its dead-letter cap (DEAD_LETTER_MAX) and skipped without a letter, read from the table
 * at each scrape (any projector process counts them, whichever owns the projection). Non-zero:
 * the cap was reached; alert on it.
 */
export function registerDeadLetterMetrics(registry: Registry, pool: Pool): void {
  new Gauge({
    name: 'vista_dead_letters_not_kept',
    help: 'Poison events skipped without a dead letter because the generation reached DEAD_LETTER_MAX.',
    labelNames: ['projection', 'generation'],
    registers: [registry],
    async collect() {
      const notKept = await listNotKept(pool).catch(() => undefined);
      if (!notKept) return;
      this.reset();
      const totals = new Map<string, { projection: string; generation: string; count: number }>();
      for (const n of notKept) {
        const key = `${n.projection}#${n.generation}`;
        const total = totals.get(key) ?? {
          projection: n.projection,
          generation: String(n.generation),
          count: 0,
        };
        total.count += n.count;
        totals.set(key, total);
      }
      for (const { projection, generation, count } of totals.values())
        this.set({ projection, generation }, count);
    },
  });
}
