import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors/domain.error';
import { CommonErrorCode } from '../common/errors/error-codes';
import { Principal } from '../identity/principal';
import { percentileMs } from '../usage/latency-histogram';
import { ModelResolver } from './model-resolver';
import { ModelErrorCode } from './model.errors';
import { ShadowReportDto, ShadowReportQueryDto } from './http/lifecycle.dto';
import { ShadowStatsRepository, ShadowTotals } from './shadow/shadow-stats.repository';

const DAY_MS = 86_400_000;
const MAX_RANGE_MS = 366 * DAY_MS;

/** `GET /v1/admin/models/{name}/shadow/report`: how the shadow version compared, from every instance's figures. */
@Injectable()
export class ShadowReportService {
  constructor(
    private readonly resolver: ModelResolver,
    private readonly repository: ShadowStatsRepository,
  ) {}

  async getShadowReport(
    principal: Principal | undefined,
    name: string,
    query: ShadowReportQueryDto,
  ): Promise<ShadowReportDto> {
    const entry = this.resolver.model(principal, name);
    const to = query.to ? new Date(query.to) : new Date();
    const from = query.from ? new Date(query.from) : new Date(to.getTime() - DAY_MS);
    if (!(from < to) || to.getTime() - from.getTime() > MAX_RANGE_MS) {
      throw new DomainError(CommonErrorCode.ValidationFailed, '"from" must be before "to", at most 366 days apart.');
    }
    const shadowVersion = entry.config.shadow?.version ?? (await this.repository.latestShadowVersion(name, from, to));
    if (shadowVersion === undefined) {
      throw new DomainError(
        ModelErrorCode.ShadowNotFound,
        `Model ${name} has no shadow version and no shadow figures in this range.`,
      );
    }
    const rows = await this.repository.totals(name, shadowVersion, from, to);
    return report(name, shadowVersion, rows);
  }
}

function report(model: string, shadowVersion: number, rows: ShadowTotals[]): ShadowReportDto {
  const sum = (pick: (row: ShadowTotals) => string | number) =>
    rows.reduce((total, row) => total + Number(pick(row)), 0);
  const histogram = (pick: (row: ShadowTotals) => number[] | null) => {
    const merged: number[] = [];
    for (const row of rows) (pick(row) ?? []).forEach((count, i) => (merged[i] = (merged[i] ?? 0) + Number(count)));
    return merged;
  };
  const compared = sum((row) => row.compared_rows);
  const differences = sum((row) => row.difference_count);
  return {
    model,
    ...(rows.length === 1 ? { primaryVersion: String(rows[0].primary_version) } : {}),
    shadowVersion: String(shadowVersion),
    requests: sum((row) => row.requests),
    errors: sum((row) => row.errors),
    agreement: compared > 0 ? sum((row) => row.agreed_rows) / compared : null,
    meanAbsoluteDifference: differences > 0 ? sum((row) => row.difference_sum) / differences : null,
    primaryP95LatencyMs: percentileMs(
      histogram((row) => row.primary_histogram),
      0.95,
    ),
    shadowP95LatencyMs: percentileMs(
      histogram((row) => row.shadow_histogram),
      0.95,
    ),
  };
}
