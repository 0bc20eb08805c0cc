import { Injectable } from '@nestjs/common';
import { ChangeFeedService } from '../change-feed/change-feed.service';
import { OAuthClientEntity } from './oauth-client.entity';
import { OAuthClientsRepository } from './oauth-clients.repository';

const CACHE_TTL_MS = 5 * 60_000;

/**
 * What the resource side needs to know about a token's client (enabled? allow-list? limits?), read
 * once per client and dropped when a change event for it arrives.
 */
@Injectable()
export class ClientDirectory {
  private readonly cache = new Map<string, { client: OAuthClientEntity | null; fetchedAt: number }>();

  constructor(
    private readonly repository: OAuthClientsRepository,
    events: ChangeFeedService,
  ) {
    events.onChange((kind, ref) => {
      if (kind === 'oauth_client') this.cache.delete(ref);
    });
  }

  /** The client when it exists and is enabled; null otherwise. */
  async activeClient(clientId: string): Promise<OAuthClientEntity | null> {
    const cached = this.cache.get(clientId);
    const now = Date.now();
    let client = cached && now - cached.fetchedAt < CACHE_TTL_MS ? cached.client : undefined;
    if (client === undefined) {
      client = await this.repository.findByClientId(clientId);
      this.cache.set(clientId, { client, fetchedAt: now });
    }
    return client && !client.disabledAt && !client.deletedAt ? client : null;
  }
}
