import { createPool, type Pool } from '../../../shared/clients/postgres.ts';

/** The application an installation's projector processes last started with. */
export interface RecordedApplication {
  readonly name: string;
  /** The absolute path of its module. */
  readonly module: string;
}

/** Records the application this installation runs (the projector process does, at start-up). */
export async function recordApplication(pool: Pool, app: RecordedApplication): Promise<void> {
  await pool.query(
    `INSERT INTO vista_application (name, module) VALUES ($1, $2)
     ON CONFLICT (singleton) DO UPDATE SET name = $1, module = $2, recorded_at = now()`,
    [app.name, app.module],
  );
}

/**
 * The application recorded in the installation at `databaseUrl`; undefined when none is (no
 * projector has started there, or its database or catalog does not exist yet).
 */
export async function readRecordedApplication(databaseUrl: string): Promise<RecordedApplication | undefined> {
  const pool = createPool(databaseUrl, { max: 1, applicationName: 'vista-application-lookup' });
  try {
    const { rows } = await pool.query<RecordedApplication>('SELECT name, module FROM vista_application');
    return rows[0];
  } catch (error) {
    // 3D000: no such database; 42P01: no catalog table (never migrated); 3F000: no schema.
    if (['3D000', '42P01', '3F000'].includes((error as { code?: string }).code ?? '')) return undefined;
    throw error;
  } finally {
    await pool.end();
  }
}
