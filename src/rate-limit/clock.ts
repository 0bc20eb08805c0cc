import { Injectable } from '@nestjs/common';

/** The time, injectable so that tests can cross a month boundary. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
