// Validates the Prometheus Operator objects of deploy/kubernetes against the
// operator's own schemas (npm @kubernetes-models/prometheus-operator, whose
// classes validate with the CRDs' OpenAPI schemas). An ES module: copy it
// next to a node_modules holding that package and js-yaml, then
//   node validate_crds.mjs FILE...
// Exits 1 naming each file and problem.
import fs from "fs";
import yaml from "js-yaml";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
const kinds = { ServiceMonitor, PrometheusRule };
let failed = false;
let checked = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of yaml.loadAll(fs.readFileSync(file, "utf8"))) {
    if (!doc || doc.apiVersion !== "monitoring.coreos.com/v1") continue;
    const Kind = kinds[doc.kind];
    if (!Kind) {
      console.error(`${file}: no schema for ${doc.kind}`);
      failed = true;
      continue;
    }
    try {
      new Kind(doc).validate();
      checked += 1;
      console.log(`${file}: ${doc.kind} ${doc.metadata.name} is valid`);
    } catch (e) {
      console.error(`${file}: ${doc.kind}: ${e.message}`);
      failed = true;
    }
  }
}
if (checked === 0) {
  console.error("no Prometheus Operator object found");
  failed = true;
}
process.exit(failed ? 1 : 0);
