import { readFile } from 'node:fs/promises';
import { arch } from 'node:os';
import { osIdentity, parseOsRelease } from '../os/os-release';

/** The OS part of generated software identifiers: strongSwan's `<Name>_<Version>-<Arch>` (swid_gen.c). */
export interface SwOs {
  readonly name: string;
  readonly version: string;
  readonly arch: string;
}

/** Who makes the tags: the regid of the tagCreator entity (strongSwan default `strongswan.org`). */
export interface TagCreator {
  readonly regid: string;
  readonly name: string;
}

export const DEFAULT_TAG_CREATOR: TagCreator = { regid: 'strongswan.org', name: 'strongSwan Project' };

const osString = (os: SwOs): string => `${os.name}_${os.version}-${os.arch}`;

/**
 * The unique ID (SWID tagId) of a dpkg package as strongSwan's sw-collector forms it (swid_gen_info.c,
 * strongSwan's swid_gen.c): `<OS>-<package>-<version>`, the ":arch" suffix of the package dropped, and every
 * ':' and '+' replaced by '~' (they are not allowed unescaped in the URI the identifier becomes).
 */
export function tagId(os: SwOs, pkg: string, version: string): string {
  const name = pkg.split(':')[0];
  return `${osString(os)}-${name}${version ? '-' : ''}${version}`.replace(/[:+]/g, '~');
}

/** RFC 8412 (ISO 2015 SWID tags): software identifier = `<tagCreator regid>__<tagId>`. */
export function softwareId(creator: TagCreator, os: SwOs, pkg: string, version: string): string {
  return `${creator.regid}__${tagId(os, pkg, version)}`;
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const xmlAttr = (s: string): string => s.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]);

/** A minimal ISO/IEC 19770-2:2015 SWID tag for one package, shaped like the ones in the strongSwan capture. */
export function swidTag(creator: TagCreator, os: SwOs, pkg: string, version: string): string {
  const name = pkg.split(':')[0];
  return (
    '<?xml version="1.0" encoding="utf-8"?>\n' +
    `<SoftwareIdentity name="${xmlAttr(name)}" tagId="${xmlAttr(tagId(os, pkg, version))}" version="${xmlAttr(version)}" versionScheme="alphanumeric"` +
    ' xmlns="http://standards.iso.org/iso/19770/-2/2015/schema.xsd">' +
    `<Entity name="${xmlAttr(creator.name)}" regid="${xmlAttr(creator.regid)}" role="tagCreator"/>` +
    `<Meta product="${xmlAttr(`${os.name} ${os.version} ${os.arch}`)}"/></SoftwareIdentity>`
  );
}

const NODE_ARCH: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ia32: 'i686', arm: 'armv7l' };

/** This host's OS string parts from os-release (name as strongSwan's os_info names it) and the machine type. */
export async function hostSwOs(
  osReleasePath = '/etc/os-release',
  machine = NODE_ARCH[arch()] ?? arch(),
): Promise<SwOs> {
  const rel = parseOsRelease(await readFile(osReleasePath, 'utf8'));
  return {
    name: osIdentity(rel.get('NAME') ?? 'Linux').productName,
    version: rel.get('VERSION_ID') ?? '',
    arch: machine,
  };
}
