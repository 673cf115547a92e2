/**
 * Is this file a binary? By extension (compiled code, native libraries, archives,
 * pickles), by magic number (ELF, Mach-O, PE, zip, gzip, wasm), or by NUL bytes in its
 * first 8 KiB. Pure.
 */

export const BINARY_EXTENSIONS = new Set([
  ".so", ".pyc", ".pyo", ".pyd", ".dll", ".dylib", ".exe", ".bin", ".o", ".a", ".lib", ".class", ".jar", ".wasm",
  ".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".7z", ".rar", ".whl", ".egg", ".deb", ".rpm", ".apk", ".pkl", ".pickle", ".npy",
]);
const MAGIC: Array<[string, Buffer]> = [
  ["ELF", Buffer.from([0x7f, 0x45, 0x4c, 0x46])],
  ["Mach-O", Buffer.from([0xfe, 0xed, 0xfa, 0xce])],
  ["Mach-O", Buffer.from([0xfe, 0xed, 0xfa, 0xcf])],
  ["Mach-O", Buffer.from([0xce, 0xfa, 0xed, 0xfe])],
  ["Mach-O", Buffer.from([0xcf, 0xfa, 0xed, 0xfe])],
  ["Mach-O/Java class", Buffer.from([0xca, 0xfe, 0xba, 0xbe])],
  ["PE (Windows executable)", Buffer.from("MZ")],
  ["zip archive", Buffer.from([0x50, 0x4b, 0x03, 0x04])],
  ["gzip archive", Buffer.from([0x1f, 0x8b])],
  ["WebAssembly", Buffer.from([0x00, 0x61, 0x73, 0x6d])],
];
const SNIFF_BYTES = 8192;

/** Why content is binary, or undefined for text. */
export function binaryReason(name: string, head: Buffer): string | undefined {
  const dot = name.lastIndexOf(".");
  const ext = dot > 0 ? name.slice(dot).toLowerCase() : "";
  if (BINARY_EXTENSIONS.has(ext)) return `a ${ext} file`;
  for (const [kind, magic] of MAGIC) if (head.length >= magic.length && head.subarray(0, magic.length).equals(magic)) return `${kind} content`;
  if (head.subarray(0, SNIFF_BYTES).includes(0)) return "NUL bytes in its first 8 KiB";
  return undefined;
}
