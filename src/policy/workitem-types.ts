/** Workitem (= policy) types, numbered as strongSwan's src/libimcv/imv/imv_workitem.h. */
export enum WorkitemType {
  PCKGS = 1,
  UNSRC = 2,
  FWDEN = 3,
  PWDEN = 4,
  FREFM = 5,
  FMEAS = 6,
  FMETA = 7,
  DREFM = 8,
  DMEAS = 9,
  DMETA = 10,
  TCPOP = 11,
  TCPBL = 12,
  UDPOP = 13,
  UDPBL = 14,
  SWIDT = 15,
  TPMRA = 16,
}

/** 'SWIDT', as logged: "SWIDT workitem 659". */
export const workitemTypeName = (t: WorkitemType): string => WorkitemType[t] ?? `type ${t}`;

/** Types whose workitem argument is a file (arg_int = files.id) or a directory (arg_int = directories.id). */
export const FILE_TYPES: ReadonlySet<WorkitemType> = new Set([
  WorkitemType.FREFM,
  WorkitemType.FMEAS,
  WorkitemType.FMETA,
]);
export const DIR_TYPES: ReadonlySet<WorkitemType> = new Set([
  WorkitemType.DREFM,
  WorkitemType.DMEAS,
  WorkitemType.DMETA,
]);
