import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Configuration } from '../../config/configuration';
import { isModelName, parseVersionNumber } from './model-names';

export const MODEL_FILE = 'model.onnx';
export const CONFIG_FILE = 'config.json';

/** The model repository on disk: models/<name>/<version>/model.onnx and models/<name>/config.json. */
@Injectable()
export class ModelRepository {
  readonly root: string;

  constructor(config: ConfigService<Configuration, true>) {
    this.root = resolve(config.get('models', { infer: true }).repository);
  }

  /** Model names and their version numbers that have a model file. Invalid names are skipped. */
  async scan(): Promise<Map<string, number[]>> {
    const models = new Map<string, number[]>();
    for (const name of await listDirectories(this.root)) {
      if (!isModelName(name)) continue;
      const versions: number[] = [];
      for (const segment of await listDirectories(join(this.root, name))) {
        const version = parseVersionNumber(segment);
        if (version !== undefined && (await exists(this.modelPath(name, version)))) versions.push(version);
      }
      models.set(
        name,
        versions.sort((a, b) => a - b),
      );
    }
    return models;
  }

  modelPath(name: string, version: number): string {
    return join(this.root, name, String(version), MODEL_FILE);
  }

  /** config.json's text and modification time, or undefined when there is none. */
  async readConfig(name: string): Promise<{ text: string; mtimeMs: number } | undefined> {
    const path = join(this.root, name, CONFIG_FILE);
    try {
      const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
      return { text, mtimeMs: info.mtimeMs };
    } catch {
      return undefined;
    }
  }

  async writeConfig(name: string, config: object): Promise<void> {
    await mkdir(join(this.root, name), { recursive: true });
    await atomicWrite(join(this.root, name, CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`);
  }

  /** Writes upload bytes to a temporary file inside the repository (same filesystem, so publish is a rename). */
  async stage(name: string, bytes: Uint8Array): Promise<string> {
    await mkdir(join(this.root, name), { recursive: true });
    const path = join(this.root, name, `.upload-${randomUUID()}.onnx`);
    await writeFile(path, bytes);
    return path;
  }

  /**
   * Publishes a staged file as a version: creating the version directory is the claim (it fails when
   * the version exists), the rename makes the file appear whole.
   */
  async publish(staged: string, name: string, version: number): Promise<boolean> {
    try {
      await mkdir(join(this.root, name, String(version)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
    await rename(staged, this.modelPath(name, version));
    return true;
  }

  async discard(path: string): Promise<void> {
    await rm(path, { force: true });
  }

  async deleteVersion(name: string, version: number): Promise<void> {
    await rm(join(this.root, name, String(version)), { recursive: true, force: true });
  }
}

async function listDirectories(path: string): Promise<string[]> {
  try {
    const entries = await readdir(path, { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch {
    return [];
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function atomicWrite(path: string, content: string): Promise<void> {
  const temporary = `${path}.${randomUUID()}.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, path);
}
