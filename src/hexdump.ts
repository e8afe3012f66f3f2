/**
 * Bytes as strongSwan's logger dumps a chunk: 16 a line, the offset right-aligned, the bytes in
 * upper-case hex, then the printable ASCII characters (others as '.').
 */
export function hexDumpLines(bytes: Uint8Array): string[] {
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += 16) {
    const row = bytes.subarray(at, at + 16);
    const hex = [...row].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${String(at).padStart(4)}: ${hex.padEnd(16 * 3 - 1)}  ${ascii}`);
  }
  return lines;
}
