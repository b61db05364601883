import type { ErrorObject } from 'ajv';

/** The deployment-config JSON Schema as a precompiled validator (tools/web/compile-schema.ts). */
export declare const validate: ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
export default validate;
