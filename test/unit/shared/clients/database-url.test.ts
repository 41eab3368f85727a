import { describe, expect, it } from 'vitest';
import { inSchema, schemaFor, splitSchema } from '../../../../shared/clients/database-url.ts';
import { loadConfig } from '../../../../shared/config.ts';

describe('the schema of an installation', () => {
  it('is its namespace, carried in the database URL and stripped before pg sees it', () => {
    const url = inSchema('postgres://u:p@h:5432/vista?sslmode=disable', schemaFor('shop_a'));
    expect(splitSchema(url)).toEqual({
      connectionString: 'postgres://u:p@h:5432/vista?sslmode=disable',
      schema: 'shop_a',
    });
    // Set twice, it is replaced, not repeated.
    expect(splitSchema(inSchema(url, 'shop_b')).schema).toBe('shop_b');
  });

  it('is the server default for the default namespace: nothing is added to the URL', () => {
    expect(inSchema('postgres://h/vista', schemaFor(''))).toBe('postgres://h/vista');
    expect(splitSchema('postgres://h/vista').schema).toBeUndefined();
  });

  it('comes from VISTA_NAMESPACE in the configuration, for both database URLs', () => {
    const config = loadConfig({
      VISTA_NAMESPACE: 'team_a',
      DATABASE_URL: 'postgres://h/vista',
      API_DATABASE_URL: 'postgres://reader@h/vista',
    });
    expect(splitSchema(config.DATABASE_URL).schema).toBe('team_a');
    expect(splitSchema(config.API_DATABASE_URL as string).schema).toBe('team_a');
  });

  it('refuses namespaces PostgreSQL reserves, and a forged schema parameter', () => {
    for (const name of ['pg_catalog', 'public', 'information_schema']) {
      expect(() => loadConfig({ VISTA_NAMESPACE: name })).toThrow(/VISTA_NAMESPACE/);
    }
    expect(() => splitSchema('postgres://h/vista?vista_schema=a%3Bdrop')).toThrow(/not a schema name/);
  });
});
