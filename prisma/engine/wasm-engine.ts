import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as SchemaEngineWasm from '@prisma/schema-engine-wasm';

export type SchemaEngine = SchemaEngineWasm.SchemaEngine;
export type SchemaEngineModule = typeof SchemaEngineWasm;

/** The few WebAssembly globals used here; the project's `lib` has no DOM typings that declare them. */
interface WasmGlobals {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, unknown>) => { exports: Record<string, unknown> };
}

type BindgenRuntime = SchemaEngineModule & { __wbg_set_wasm(exports: Record<string, unknown>): void };

let loaded: Promise<SchemaEngineModule> | undefined;
let panicMessage: string | undefined;

/**
 * A Rust panic in the engine reports its message through this global (the Prisma CLI defines it
 * for its own wasm modules), then traps. Without it the panic surfaces as an unrelated TypeError.
 */
(globalThis as Record<string, unknown>).PRISMA_WASM_PANIC_REGISTRY = {
  set_message(message: string) {
    panicMessage = message;
  },
};

/** The message of the last engine panic, once: the trap that follows it says only "unreachable". */
export function takePanicMessage(): string | undefined {
  const message = panicMessage;
  panicMessage = undefined;
  return message;
}

/**
 * The package's entry point does `import * as wasm from "./x.wasm"`, which only a bundler
 * understands; Node needs the module instantiated by hand against the wasm-bindgen glue.
 */
export function loadSchemaEngineModule(): Promise<SchemaEngineModule> {
  loaded ??= instantiate();
  return loaded;
}

async function instantiate(): Promise<SchemaEngineModule> {
  const packageDir = path.dirname(require.resolve('@prisma/schema-engine-wasm'));
  const glue = pathToFileURL(path.join(packageDir, 'schema_engine_bg.js')).href;
  const runtime = (await import(glue)) as BindgenRuntime;
  const wasm = (globalThis as unknown as { WebAssembly: WasmGlobals }).WebAssembly;
  const module = new wasm.Module(fs.readFileSync(path.join(packageDir, 'schema_engine_bg.wasm')));
  const instance = new wasm.Instance(module, { './schema_engine_bg.js': runtime });
  runtime.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  return runtime;
}

/** `schema-engine-cli <hash>`, the shape the CLI shows in `prisma -v`; the hash is the wasm build's. */
export async function engineVersionLine(): Promise<string> {
  const engine = await loadSchemaEngineModule();
  return `schema-engine-cli ${engine.version()} (wasm bridge)`;
}
