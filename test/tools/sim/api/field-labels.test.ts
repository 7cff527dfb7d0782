import { convertFieldSelector } from '../../../../tools/sim/api/field-labels.js';
import { builtinResources, resourceFromCrd, type ResourceDef } from '../../../../tools/sim/api/resources.js';

const def = (group: string, resource: string): ResourceDef =>
  builtinResources().find((d) => d.group === group && d.resource === resource)!;

const custom = (scope: 'Cluster' | 'Namespaced') =>
  resourceFromCrd({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'gadgets.x.io' },
    spec: {
      group: 'x.io',
      scope,
      names: { plural: 'gadgets', kind: 'Gadget' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          selectableFields: [{ jsonPath: '.spec.color' }],
          schema: { openAPIV3Schema: { type: 'object' } },
        },
      ],
    },
  });

const refused = (d: ResourceDef, selector: string): string => {
  try {
    convertFieldSelector(d, selector);
  } catch (err) {
    const e = err as { code: number; message: string };
    return `${e.code} ${e.message}`;
  }
  throw new Error(`${selector} was accepted`);
};

describe('field selectors a resource supports', () => {
  it('passes supported labels through, converting the ones that name another path', () => {
    expect(convertFieldSelector(def('', 'pods'), 'spec.host=a,status.phase!=Running')).toBe(
      'spec.nodeName=a,status.phase!=Running',
    );
    expect(convertFieldSelector(def('', 'events'), 'source=kubelet,reason=BackOff')).toBe(
      'source.component=kubelet,reason=BackOff',
    );
    expect(convertFieldSelector(def('batch', 'jobs'), 'status.successful=1')).toBe('status.succeeded=1');
    expect(convertFieldSelector(def('', 'pods'), 'metadata.name=a\\,b')).toBe('metadata.name=a\\,b');
    expect(convertFieldSelector(def('', 'nodes'), undefined)).toBeUndefined();
  });

  it('refuses the others with 400, worded per resource as the real server words it', () => {
    expect(refused(def('', 'pods'), 'spec.foo=x')).toBe('400 field label not supported: spec.foo');
    expect(refused(def('', 'nodes'), 'metadata.namespace=x')).toBe(
      '400 field label not supported: metadata.namespace',
    );
    expect(refused(def('batch', 'jobs'), 'status.failed=1')).toBe(
      '400 field label "status.failed" not supported for Job',
    );
    expect(refused(def('', 'configmaps'), 'data.x=1')).toBe(
      '400 "data.x" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
  });

  it('custom resources: metadata.name, metadata.namespace when namespaced, and selectableFields', () => {
    expect(convertFieldSelector(custom('Namespaced'), 'metadata.namespace=a,spec.color=red')).toBe(
      'metadata.namespace=a,spec.color=red',
    );
    expect(refused(custom('Cluster'), 'metadata.namespace=a')).toBe(
      '400 field label not supported: metadata.namespace',
    );
    expect(refused(custom('Cluster'), 'spec.size=1')).toBe('400 field label not supported: spec.size');
  });
});
