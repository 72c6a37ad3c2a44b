import t from 'tap'
import { aggregatedVersion, apiGroupDiscoveryList, apiResourceList } from './discovery.js'

const table: Array<[string | undefined, 'v2' | 'v2beta1' | undefined]> = [
  [undefined, undefined],
  ['application/json', undefined],
  ['*/*', undefined],
  ['application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList', 'v2'],
  ['application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList', 'v2beta1'],
  ['application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json', 'v2'],
  ['application/json, application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList', 'v2beta1'],
  ['application/json; g=apidiscovery.k8s.io; v=v2; as=APIGroupDiscoveryList', 'v2'],
  ['application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList', undefined],
  ['application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList', undefined],
]
for (const [accept, want] of table) {
  t.test(`Accept ${String(accept)}`, async (t) => { t.equal(aggregatedVersion(accept), want) })
}

t.test('documents list every served metric as a namespaced, get-only resource', async (t) => {
  const names = ['foresight_desired_replicas', 'foresight_observed_load']
  t.match(apiResourceList(names), { resources: names.map((name) => ({ name, namespaced: true, verbs: ['get'], kind: 'ExternalMetricValueList' })) })
  t.match(apiGroupDiscoveryList('v2', names), { items: [{ versions: [{ resources: names.map((resource) => ({ resource, scope: 'Namespaced' })) }] }] })
})
