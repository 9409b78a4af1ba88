import request from 'supertest';
import type { World } from './world';

export type Schema = {
  $ref?: string;
  type?: string;
  format?: string;
  example?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  allOf?: Schema[];
  enum?: unknown[];
};
export type Operation = {
  parameters?: { name: string; in: 'path' | 'query' | 'header'; schema?: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
};
interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

/** The service's own OpenAPI document, read from /docs-json, and plausible requests for its operations. */
export class ApiDocument {
  private constructor(
    private readonly doc: OpenApiDocument,
    private readonly world: World,
    private readonly userId: string,
  ) {}

  /** `userId` fills user ids; the world's first station, commodity and its planet fill theirs. */
  static async load(url: string, world: World, userId: string): Promise<ApiDocument> {
    return new ApiDocument((await request(url).get('/docs-json').expect(200)).body as OpenApiDocument, world, userId);
  }

  operations(): { path: string; method: string; op: Operation }[] {
    return Object.entries(this.doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ path, method, op })),
    );
  }

  resolve(s: Schema): Schema {
    if (s.$ref) return this.resolve(this.doc.components.schemas[s.$ref.split('/').pop()!]);
    if (s.allOf)
      return s.allOf
        .map((x) => this.resolve(x))
        .reduce((a, b) => ({ ...a, ...b, properties: { ...a.properties, ...b.properties } }), {});
    return s;
  }

  /** A plausible value, so that the one broken field is what the server judges. */
  plausible(name: string, schema: Schema): unknown {
    const s = this.resolve(schema);
    if (s.format === 'uuid') {
      if (/station/i.test(name)) return Object.values(this.world.stations)[0];
      if (/commodity/i.test(name)) return Object.values(this.world.commodities)[0];
      if (/planet/i.test(name)) return this.world.planetId;
      if (/user/i.test(name)) return this.userId;
      return '01900000-0000-7000-8000-000000000000';
    }
    if (s.example !== undefined) return s.example;
    if (s.enum) return s.enum[0];
    switch (s.type) {
      case 'integer':
      case 'number':
        return 1;
      case 'boolean':
        return true;
      case 'array':
        return [this.plausible(name, s.items ?? {})];
      case 'object':
      case undefined:
        return Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, this.plausible(k, v)]));
      default:
        return 'x';
    }
  }

  /** The operation's path with every parameter filled plausibly, but `override` (name, raw value). */
  fillPath(path: string, op: Operation, override?: [string, string]): string {
    const pathParams = (op.parameters ?? []).filter((p) => p.in === 'path');
    return path.replace(/\{(\w+)\}/g, (_m, name: string) =>
      override && override[0] === name
        ? override[1]
        : (this.plausible(name, pathParams.find((p) => p.name === name)?.schema ?? { format: 'uuid' }) as string),
    );
  }

  bodySchema(op: Operation): Schema | undefined {
    const schema = op.requestBody?.content['application/json']?.schema;
    return schema && this.resolve(schema);
  }
}
