/**
 * Generate the EndpointPickerConfig for one pool from its annotations (llm-d.md §2): run the builders in
 * order, then lay the collected scorers into one `default` profile, or a `prefill` and a `decode` profile
 * (each behind its role filter) when disaggregated. Pure and deterministic: the same inputs give the same
 * bytes, so the config's hash only changes when the routing does.
 */
import yaml from 'js-yaml';
import { EPP_BUILDERS } from './builders.js';
import type { Contribution, EndpointPickerConfig, EppInputs, ProfilePluginRef } from './types.js';

export type { EndpointPickerConfig, EppInputs } from './types.js';

/** A weight as a person would write it: 3 × 0.8 loses its binary noise (2.4, not 2.4000000000000004). */
export function asWritten(weight: number): number {
  return Math.round(weight * 1e6) / 1e6;
}

export function eppConfig(inputs: EppInputs): EndpointPickerConfig {
  const parts: Contribution[] = EPP_BUILDERS.filter((b) => b.when(inputs)).map((b) => b.build(inputs));
  const plugins = parts.flatMap((p) => p.plugins ?? []);
  const scorers = parts
    .flatMap((p) => p.scorers ?? [])
    .map((s) => (s.weight === undefined ? s : { ...s, weight: asWritten(s.weight) }));
  const sources = parts.flatMap((p) => p.sources ?? []);
  const featureGates = parts.flatMap((p) => p.featureGates ?? []);
  const picker: ProfilePluginRef = { pluginRef: 'max-score-picker' };
  const profiles =
    inputs.disaggregation === 'prefill-decode'
      ? [
          { name: 'prefill', plugins: [{ pluginRef: 'prefill-filter' }, ...scorers, picker] },
          { name: 'decode', plugins: [{ pluginRef: 'decode-filter' }, ...scorers, picker] },
        ]
      : [{ name: 'default', plugins: [...scorers, picker] }];
  return {
    apiVersion: 'llm-d.ai/v1alpha1',
    kind: 'EndpointPickerConfig',
    ...(featureGates.length > 0 ? { featureGates } : {}),
    plugins,
    schedulingProfiles: profiles,
    ...(sources.length > 0 ? { dataLayer: { sources } } : {}),
  };
}

/** The ConfigMap payload: YAML, as the EPP's --config-file reads it. */
export function eppConfigYaml(inputs: EppInputs): string {
  return yaml.dump(eppConfig(inputs), { noRefs: true, lineWidth: -1, sortKeys: false });
}

export const EPP_CONFIG_KEY = 'epp-config.yaml';
