import {
  type DerivedField,
  type DerivedView,
  filterTypeDefs,
  kindOf,
  type PublicRelation,
} from '../../projectors/engine/internal.ts';

/** A GraphQL string literal (JSON's escapes are GraphQL's). */
const say = (text: string) => JSON.stringify(text);
const article = (noun: string) => (/^[aeiou]/i.test(noun) ? 'An' : 'A');
const upperFirst = (text: string) => (text[0]?.toUpperCase() ?? '') + text.slice(1);

/** A field's GraphQL type, as its kind says (`fields/`). */
export function graphqlType(field: DerivedField): string {
  return kindOf(field.kind).graphqlType(field.kind);
}

function outputType(field: DerivedField): string {
  const type = graphqlType(field);
  if (field.list) return `[${type}!]!`;
  return field.nullable ? type : `${type}!`;
}

/** The filter input of a field's kind: `LongFilter`, `TimestampFilter`, `OrderStatusFilter`. */
export function filterType(field: DerivedField): string {
  return kindOf(field.kind).filterInput(field.kind);
}

const SHARED = /* GraphQL */ `
  "Which way a field sorts."
  enum SortDirection {
    "Smallest (earliest, A before Z) first."
    ASC
    "Largest (latest, Z before A) first."
    DESC
  }
`;

function pageArguments(view: DerivedView): string[] {
  const many = view.shape.noun.many;
  const args = [
    `"How many ${many}, 0 to 100." first: Int = 20`,
    '"The endCursor of the previous page." after: String',
    `"How many ${many} before \`before\`, 0 to 100 (not with first or after)." last: Int`,
    '"The startCursor of the next page, to page backwards." before: String',
  ];
  const filterable = view.fields.some((f) => f.filterable);
  const sortable = view.fields.some((f) => f.sortable);
  if (filterable) args.push(`"Only the ${many} meeting these conditions." where: ${view.type}Where`);
  if (sortable) {
    const says = view.shape.order?.says ?? 'by key';
    args.push(
      `"The order of the ${many}, the key breaking ties (default: ${says})." orderBy: [${view.type}OrderBy!]`,
    );
  }
  return args;
}

function shortcutArguments(target: DerivedView, shortcuts: PublicRelation['shortcuts']): string[] {
  return Object.entries(shortcuts ?? {}).map(([arg, shortcut]) => {
    const field = target.fields.find((f) => f.name === shortcut.field) as DerivedField;
    return `${say(shortcut.description)} ${arg}: ${graphqlType(field)}`;
  });
}

function viewTypeDefs(view: DerivedView, views: readonly DerivedView[]): string {
  const { one, many } = view.shape.noun;
  const T = view.type;
  const parts: string[] = [];
  const fields = view.fields.map((f) => `${say(f.description)} ${f.name}: ${outputType(f)}`);
  for (const [name, relation] of Object.entries(view.shape.relations ?? {})) {
    const target = views.find((v) => v.name === relation.view) as DerivedView;
    if (relation.kind === 'one') {
      fields.push(`${say(relation.description)} ${name}: ${target.type}`);
    } else {
      const args = [...shortcutArguments(target, relation.shortcuts), ...pageArguments(target)];
      fields.push(`${say(relation.description)} ${name}(${args.join(', ')}): ${target.type}Connection!`);
    }
  }
  parts.push(`${say(view.shape.description)}\ntype ${T} {\n  ${fields.join('\n  ')}\n}`);
  parts.push(`${say(`${article(one)} ${one} and its cursor.`)}
type ${T}Edge {
  ${say(`The ${one}; null, with a field error at its path, when a value of it cannot be served (such as a Long beyond 2^53 - 1): one row never fails the page.`)} node: ${T}
  "Opaque cursor of this edge; pass it as after to continue after it." cursor: String!
}`);
  const connection =
    view.shape.texts?.connection ?? `A page of ${many}, ${view.shape.order?.says ?? 'by key'}.`;
  parts.push(`${say(connection)}
type ${T}Connection {
  ${say(`The ${many} of this page.`)} edges: [${T}Edge!]!
  "Pagination state." pageInfo: PageInfo!
  ${say(`How many ${many} meet the conditions, over all pages (counted only when asked for).`)} totalCount: Int!
}`);
  const filterable = view.fields.filter((f) => f.filterable);
  if (filterable.length > 0) {
    const lines = filterable.map((f) => `${say(`Conditions on ${f.name}.`)} ${f.name}: ${filterType(f)}`);
    lines.push(`"All of these hold." and: [${T}Where!]`, `"At least one of these holds." or: [${T}Where!]`);
    parts.push(
      `${say(`Conditions on ${many}; all that are given must hold.`)}\ninput ${T}Where {\n  ${lines.join('\n  ')}\n}`,
    );
  }
  const sortable = view.fields.filter((f) => f.sortable);
  if (sortable.length > 0) {
    const lines = sortable.map((f) => `${say(`Sort by ${f.name}.`)} ${f.name}: SortDirection`);
    parts.push(
      `${say(`One sort term of ${many}: exactly one field.`)}\ninput ${T}OrderBy {\n  ${lines.join('\n  ')}\n}`,
    );
  }
  const query: string[] = [];
  const list = view.shape.list;
  const listArgs = [...shortcutArguments(view, list?.shortcuts), ...pageArguments(view)];
  const listDescription =
    list?.description ??
    `${upperFirst(many)}, ${view.shape.order?.says ?? 'by key'}; first and last are at most 100.`;
  query.push(`${say(listDescription)} ${view.listField}(${listArgs.join(', ')}): ${T}Connection!`);
  const keyArgs = lookupArguments(view).map(
    ({ arg, field, description }) => `${say(description)} ${arg}: ${graphqlType(field)}!`,
  );
  const keyWords = view.key.map((k) => k.name).join(' and ');
  const lookup =
    view.shape.lookup?.description ??
    `One ${one} by ${keyWords}, or null when the ${view.name} view does not show it (yet).`;
  query.push(`${say(lookup)} ${view.lookupField}(${keyArgs.join(', ')}): ${T}`);
  if (view.searchField) {
    const filterArg =
      filterable.length > 0 ? [`"Only the ${many} meeting these conditions." where: ${T}Where`] : [];
    const searchArgs = [
      '"Words to look for (plain text, no query syntax), at most 500 characters." query: String',
      ...filterArg,
      `"How many ${many}, 0 to 100." first: Int = 20`,
      '"The endCursor of the previous page." after: String',
    ];
    const fields = Object.keys(view.shape.search?.fields ?? {}).join(', ');
    const description =
      view.shape.search?.description ??
      `Full-text search over ${fields}, most relevant first; every ${one} when query is empty.`;
    query.push(`${say(description)} ${view.searchField}(${searchArgs.join(', ')}): ${T}Connection!`);
    const shortcut = view.shape.search?.shortcut;
    if (shortcut) {
      const args = [
        `${say(shortcut.query)} query: String`,
        ...shortcutArguments(view, shortcut.args),
        `"How many ${many}, 0 to 100." first: Int = 20`,
        '"The endCursor of the previous page." after: String',
      ];
      query.push(`${say(shortcut.description)} ${shortcut.name}(${args.join(', ')}): ${T}Connection!`);
    }
  }
  parts.push(`extend type Query {\n  ${query.join('\n  ')}\n}`);
  const updated = `The ${one} now, then again each time the ${view.name} view changes it (null while the view does not
show it). Pushed when the ${view.name} projection commits, only when the ${one} changed.`;
  parts.push(
    `extend type Subscription {\n  ${say(updated)} ${view.updatedField}(${keyArgs.join(', ')}): ${T}\n}`,
  );
  return parts.join('\n\n');
}

/** The lookup's arguments: declared names, else one per key field named as the field. */
export function lookupArguments(
  view: DerivedView,
): { arg: string; field: DerivedField; description: string }[] {
  const declared = view.shape.lookup?.args;
  if (declared) {
    return Object.entries(declared).map(([arg, a]) => ({
      arg,
      field: view.key.find((k) => k.name === a.field) as DerivedField,
      description: a.description,
    }));
  }
  return view.key.map((field) => ({
    arg: field.name,
    field,
    description: `The ${view.shape.noun.one} ${field.name}.`,
  }));
}

/** The SDL of every served view: node, edge, connection, where and orderBy types, and root fields. */
export function derivedTypeDefs(views: readonly DerivedView[]): string {
  const parts = [SHARED];
  // A kind's own definitions (an enumeration) and its filter input, each once.
  const kinds = new Map<string, string>();
  const filters = new Map<string, string>();
  for (const view of views) {
    for (const field of view.fields) {
      const kind = kindOf(field.kind);
      const own = kind.typeDefs?.(field.kind);
      if (own) kinds.set(graphqlType(field), own);
      if (!field.filterable) continue;
      const name = filterType(field);
      if (!filters.has(name)) filters.set(name, filterTypeDefs(field.kind));
    }
    parts.push(viewTypeDefs(view, views));
  }
  parts.push(...kinds.values(), ...filters.values());
  return parts.join('\n\n');
}
