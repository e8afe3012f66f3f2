import type { Logger } from '../../log';
import type { PaAttribute } from '../../protocol/pa-tnc/registry';
import { ProductInformation, ProductInformationAttr } from '../../protocol/pa-tnc/ietf/product-information';
import {
  NumericVersion,
  NumericVersionAttr,
  StringVersion,
  StringVersionAttr,
} from '../../protocol/pa-tnc/ietf/versions';
import { OperationalStatus, OperationalStatusAttr } from '../../protocol/pa-tnc/ietf/operational-status';
import {
  FactoryDefaultPasswordAttr,
  ForwardingEnabledAttr,
  ForwardingStatus,
} from '../../protocol/pa-tnc/ietf/assessment';
import { DeviceIdAttr } from '../../protocol/pa-tnc/ita';
import { productVendorName } from '../../protocol/vendors';

/** What an OS IMC claimed about its host: reported, not verified. */
export interface OsFactsSeen {
  product?: ProductInformation;
  version?: StringVersion;
  numeric?: NumericVersion;
  operational?: OperationalStatus;
  forwarding?: ForwardingStatus;
  defaultPassword?: boolean;
  deviceId?: string;
}

export function osFactsFrom(attributes: PaAttribute[]): OsFactsSeen {
  const f: OsFactsSeen = {};
  for (const a of attributes) {
    if (ProductInformationAttr.is(a)) f.product = a.value;
    else if (StringVersionAttr.is(a)) f.version = a.value;
    else if (NumericVersionAttr.is(a)) f.numeric = a.value;
    else if (OperationalStatusAttr.is(a)) f.operational = a.value;
    else if (ForwardingEnabledAttr.is(a)) f.forwarding = a.value;
    else if (FactoryDefaultPasswordAttr.is(a)) f.defaultPassword = a.value;
    else if (DeviceIdAttr.is(a)) f.deviceId = a.value;
  }
  return f;
}

/** The lines strongSwan's OS IMV writes for each fact (seed: "operating system name is 'Ubuntu' from vendor Canonical"). */
export function logOsFacts(log: Logger, f: OsFactsSeen): void {
  if (f.product)
    log.info('IMV', `operating system name is '${f.product.name}' from vendor ${productVendorName(f.product.vendor)}`);
  if (f.version) log.info('IMV', `operating system version is '${f.version.version}'`);
  const lines = [
    f.numeric && NumericVersionAttr.spec.describe?.(f.numeric),
    f.operational && OperationalStatusAttr.spec.describe?.(f.operational),
    f.forwarding && ForwardingEnabledAttr.spec.describe?.(f.forwarding),
    f.defaultPassword !== undefined && FactoryDefaultPasswordAttr.spec.describe?.(f.defaultPassword),
  ];
  for (const l of lines) if (l) for (const line of l) log.info('IMV', line);
  if (f.deviceId) log.info('IMV', `device ID is ${f.deviceId}`);
}
