import { Injectable } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { completeErrorResponses } from './error-responses';

/** Adds to the generated document at request time (e.g. per-model operations derived from signatures). */
export type DocumentContributor = (document: OpenAPIObject) => void;

/**
 * Holds the document generated from the controllers and the contributors that extend it. The
 * extended document is rebuilt only when a contributor reports a change ({@link invalidate}).
 */
@Injectable()
export class DocsService {
  private base?: OpenAPIObject;
  private readonly contributors: DocumentContributor[] = [];
  private cached?: OpenAPIObject;

  setBaseDocument(document: OpenAPIObject): void {
    this.base = document;
    this.cached = undefined;
  }

  addContributor(contributor: DocumentContributor): void {
    this.contributors.push(contributor);
    this.cached = undefined;
  }

  /** Call when what a contributor adds has changed (models loaded, unloaded, ...). */
  invalidate(): void {
    this.cached = undefined;
  }

  document(): OpenAPIObject {
    if (!this.base) throw new Error('The OpenAPI document is not set up yet');
    if (!this.cached) {
      const document = structuredClone(this.base);
      for (const contribute of this.contributors) contribute(document);
      completeErrorResponses(document);
      this.cached = document;
    }
    return this.cached;
  }
}
