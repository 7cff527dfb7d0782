/**
 * Which azure-npm image a Linux node runs. On a node broken by `npm-image-bug` the azure-npm pod runs another
 * image than its DaemonSet's (`<template image>-legacy-bug`), as if an upgrade had reached that node first: a storm
 * explanation can then tell those nodes apart by their pod's image. The simulated kubelet writes it into the pod's
 * spec (`spec.containers[*].image` is mutable on a real API server) and reports it in the container status; a
 * repaired node runs the template's image again.
 */
import { createHash } from 'node:crypto';
import { isConflict, isNotFound } from '../../../src/kube/errors.js';
import { STRATEGIC_MERGE_PATCH, type KubeRest } from '../../../src/kube/rest.js';
import type { SimHost } from '../actors/host.js';
import { NPM_CONTAINER } from '../actors/npm-objects.js';
import type { PodRef } from './pod-status-writer.js';

export const LEGACY_BUG_SUFFIX = '-legacy-bug';

/** The image azure-npm runs on the host, from the image its pod was created with (its DaemonSet's). */
export function npmImageOn(podImage: string, host: SimHost | undefined): string {
  const base = podImage.endsWith(LEGACY_BUG_SUFFIX) ? podImage.slice(0, -LEGACY_BUG_SUFFIX.length) : podImage;
  return host?.brokenCause === 'npm-image-bug' ? `${base}${LEGACY_BUG_SUFFIX}` : base;
}

/** A stable `repo@sha256:...` image ID for an image reference. */
export function imageIdOf(image: string): string {
  const repo = image.includes(':') ? image.slice(0, image.lastIndexOf(':')) : image;
  return `${repo}@sha256:${createHash('sha256').update(image).digest('hex')}`;
}

/** Sets the azure-npm container's image in the pod's spec (a strategic merge patch by container name). */
export async function setPodNpmImage(rest: KubeRest, pod: PodRef, image: string): Promise<void> {
  try {
    await rest.patch(`/api/v1/namespaces/${pod.namespace}/pods/${pod.name}`, STRATEGIC_MERGE_PATCH, {
      metadata: { uid: pod.uid },
      spec: { containers: [{ name: NPM_CONTAINER, image }] },
    });
  } catch (err) {
    // Gone, or another pod of that name (its uid differs): nothing to set.
    if (!isNotFound(err) && !isConflict(err)) throw err;
  }
}
