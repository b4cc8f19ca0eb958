import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type TierConfiguration, TierConfigurationError, parseTierConfigurationJson } from './tier-config.js';

const TIER_CONFIG_RELATIVE_PATH = join('config', 'tiers.json');

/**
 * Finds the repository's default tier configuration (`config/tiers.json`) by
 * walking up from this module, so it works from sources, from `dist/` and
 * from the container image alike.
 */
export function defaultTierConfigPath(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(directory, TIER_CONFIG_RELATIVE_PATH);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(directory);
    if (parent === directory) {
      throw new TierConfigurationError(`could not find ${TIER_CONFIG_RELATIVE_PATH} above ${import.meta.url}`);
    }
    directory = parent;
  }
}

/** Reads and validates a tier configuration file (the repository default when no path is given). */
export function loadTierConfigurationFile(path: string = defaultTierConfigPath()): TierConfiguration {
  return parseTierConfigurationJson(readFileSync(path, 'utf8'));
}
