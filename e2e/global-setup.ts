import { makeFixture } from '../scripts/make-fixture.mjs';

/** Builds the Herbarium-layout fixture once per run; it is deterministic. */
export default function globalSetup() {
  makeFixture();
}
